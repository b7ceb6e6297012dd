import { DiveTally, type DiveEfficiency } from './dive-efficiency.js';
import type { FileFacts } from './facts.js';
import type { ImageMeta } from './image-meta.js';
import { statusOf } from './ls.js';
import { MergedTree } from './merge.js';
import type { LayerScan } from './scan.js';
import type { TreeNode } from './tree.js';

/** One layer's figures in an analysis. */
export interface LayerStats {
  index: number;
  digest: string;
  diffId: string;
  createdBy: string;
  /** Compressed blob size. */
  size: number;
  /** Bytes of file content the layer stores. */
  storedBytes: number;
  entries: number;
  /** Entries that created a path, changed one (a restated parent directory does not count), deleted one. */
  added: number;
  changed: number;
  deleted: number;
  /** Bytes this layer stores that later layers overwrite or delete. */
  hiddenLater: number;
  /** Bytes stored per directory (depth 1 and 2), for the treemap. */
  dirs: { path: string; bytes: number }[];
}

/** A file whose bytes are stored in a layer but not visible in the image. */
export interface WasteItem { path: string; bytes: number; layer: number; byLayer: number; reason: 'overwritten' | 'deleted' }

/** Files of the final image with identical content, found by content hash. */
export interface DuplicateGroup { hash: string; size: number; paths: string[]; wastedBytes: number }

/** Waste: bytes stored but not visible, plus extra copies of identical content. */
export interface Waste {
  overwrittenBytes: number;
  deletedBytes: number;
  duplicateBytes: number;
  wastedBytes: number;
  /** wastedBytes ÷ totalBytes. */
  wastedPercent: number;
  items: WasteItem[];
  itemCount: number;
  duplicates: DuplicateGroup[];
  duplicateGroupCount: number;
}

/** Everything `strata analyze` reports. */
export interface Analysis {
  ref: string;
  digest: string;
  layers: LayerStats[];
  /** Σ bytes stored by all layers. */
  totalBytes: number;
  /** Bytes of file content visible in the final image. */
  visibleBytes: number;
  visibleFiles: number;
  /** Directories (depth ≤ 3) by visible bytes, largest first. */
  dirs: { path: string; bytes: number; files: number }[];
  waste: Waste;
  efficiency: DiveEfficiency;
}

/** How many of the largest items an analysis keeps in its lists. */
export interface AnalyzeOptions { top?: number }

/** Analyses an image from its metadata and its layers' scans (index i of `scans` is layer i). */
export function analyzeScans(meta: ImageMeta, scans: LayerScan[], opts: AnalyzeOptions = {}): Analysis {
  const top = opts.top ?? 50;
  const tree = new MergedTree();
  const dive = new DiveTally();
  const items: WasteItem[] = [];
  let overwrittenBytes = 0, deletedBytes = 0;
  const layers: LayerStats[] = meta.layers.map((l, i) => ({
    index: i, digest: l.digest, diffId: l.diffId, createdBy: l.history?.createdBy ?? '', size: l.size,
    storedBytes: scans[i]!.storedBytes, entries: scans[i]!.entries.length, added: 0, changed: 0, deleted: 0, hiddenLater: 0,
    dirs: layerDirs(scans[i]!.entries),
  }));
  scans.forEach((scan, i) => {
    const whiteoutBytes = new Map<string, number>();
    const st = layers[i]!;
    tree.apply({ index: i, entries: scan.entries }, {
      hidden(node, byLayer, reason) {
        const f = node.facts;
        if (f.type !== 'file' || f.size === 0) return;
        if (reason === 'overwritten') overwrittenBytes += f.size; else deletedBytes += f.size;
        if (layers[node.layer]) layers[node.layer]!.hiddenLater += f.size;
        items.push({ path: '/' + f.path, bytes: f.size, layer: node.layer, byLayer, reason });
      },
      added(f, before) {
        const status = statusOf(f, before);
        if (status === 'added') st.added++;
        else if (status === 'changed') st.changed++;
      },
      deleted(f, removed) {
        st.deleted++;
        if (f.type === 'whiteout' && removed[0]?.type === 'dir') whiteoutBytes.set(f.path, removed.reduce((s, r) => s + r.size, 0));
      },
    });
    dive.addLayer(scan.entries, whiteoutBytes);
  });
  const { dirs, visibleBytes, visibleFiles, duplicates } = finalTreeFigures(tree);
  const dupGroups = [...duplicates.values()].filter((g) => g.paths.length > 1)
    .map((g) => ({ ...g, paths: g.paths.sort(), wastedBytes: (g.paths.length - 1) * g.size }))
    .sort((a, b) => b.wastedBytes - a.wastedBytes || a.paths[0]!.localeCompare(b.paths[0]!));
  const duplicateBytes = dupGroups.reduce((s, g) => s + g.wastedBytes, 0);
  const totalBytes = layers.reduce((s, l) => s + l.storedBytes, 0);
  const wastedBytes = overwrittenBytes + deletedBytes + duplicateBytes;
  items.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path) || a.layer - b.layer);
  return {
    ref: meta.ref, digest: meta.digest, layers, totalBytes, visibleBytes, visibleFiles, dirs,
    waste: {
      overwrittenBytes, deletedBytes, duplicateBytes, wastedBytes,
      wastedPercent: totalBytes === 0 ? 0 : wastedBytes / totalBytes,
      items: items.slice(0, top), itemCount: items.length,
      duplicates: dupGroups.slice(0, top), duplicateGroupCount: dupGroups.length,
    },
    efficiency: dive.result(top),
  };
}

function finalTreeFigures(tree: MergedTree) {
  const dirs: { path: string; bytes: number; files: number }[] = [];
  const duplicates = new Map<string, { hash: string; size: number; paths: string[] }>();
  // Post-order sums: a directory's bytes are its files' plus its subdirectories'; depth ≤ 3 are reported.
  const visit = (node: TreeNode, depth: number): { bytes: number; files: number } => {
    let bytes = 0, files = 0;
    for (const c of node.children!.values()) {
      const f = c.facts;
      if (c.children) {
        const sub = visit(c, depth + 1);
        bytes += sub.bytes;
        files += sub.files;
      } else if (f.type === 'file' || f.type === 'hardlink') {
        bytes += f.size;
        files++;
        if (f.type === 'file' && f.size > 0 && f.hash) {
          const key = f.hash + ':' + f.size;
          const g = duplicates.get(key);
          if (g) g.paths.push('/' + f.path);
          else duplicates.set(key, { hash: 'sha256:' + f.hash, size: f.size, paths: ['/' + f.path] });
        }
      }
    }
    if (depth <= 3 && files > 0) dirs.push({ path: '/' + node.facts.path, bytes, files });
    return { bytes, files };
  };
  const total = visit(tree.root, 0);
  dirs.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  return { dirs, visibleBytes: total.bytes, visibleFiles: total.files, duplicates };
}

/** Bytes a layer stores under each directory of depth 1 and 2 (files at the top level count under '/'). */
export function layerDirs(entries: FileFacts[]): { path: string; bytes: number }[] {
  const m = new Map<string, number>();
  const add = (k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const f of entries) {
    if (f.type !== 'file' || f.size === 0) continue;
    const s1 = f.path.indexOf('/');
    if (s1 < 0) { add('', f.size); continue; }
    add(f.path.slice(0, s1), f.size);
    const s2 = f.path.indexOf('/', s1 + 1);
    if (s2 >= 0) add(f.path.slice(0, s2), f.size);
  }
  return [...m].map(([p, bytes]) => ({ path: '/' + p, bytes })).sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
}
