import { alignLayers, type AlignedLayer } from './align.js';
import { compareFacts, type Aspect } from './compare.js';
import { isoTime, type FileFacts } from './facts.js';
import type { ImageMeta } from './image-meta.js';
import { MergedTree } from './merge.js';
import type { LayerScan } from './scan.js';
import type { TreeNode } from './tree.js';

/** A file's facts as a diff reports them. */
export interface FileSummary {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  linkname?: string;
  mtime: string;
  xattrs?: Record<string, string>;
}

/** Which history entry (Dockerfile step) made a change, on which side. */
export interface Attribution {
  side: 'a' | 'b';
  layer: number;
  history?: number;
  createdBy: string;
}

/** One path that differs between A and B. */
export interface Change {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** For `changed`: every aspect that differs (mtime only with the mtime option). */
  aspects: Aspect[];
  a?: FileSummary;
  b?: FileSummary;
  by?: Attribution;
}

/** The result of `strata diff`. */
export interface DiffResult {
  a: { ref: string; digest: string; layer?: number };
  b: { ref: string; digest: string; layer?: number };
  /** Layers lined up by diff ID and history (image diffs only). */
  alignment: AlignedLayer[];
  changes: Change[];
  summary: { added: number; removed: number; changed: number; mtimeOnlyHidden: number };
}

/** Options of a diff. */
export interface DiffOptions {
  /** Report changes of modification time, alone or with others (hidden by default). */
  mtime?: boolean;
}

interface Side { facts: FileFacts; layer: number; implicit: boolean }

/** Diffs two images' merged filesystems; `scansX[i]` is layer i of X. */
export function diffImages(a: ImageMeta, scansA: LayerScan[], b: ImageMeta, scansB: LayerScan[], opts: DiffOptions = {}): DiffResult {
  const treeA = merge(scansA);
  const deletedInB = new Map<string, number>();
  const treeB = merge(scansB, (path, layer) => deletedInB.set(path, layer));
  const alignment = alignLayers(a.layers, b.layers);
  // A path B lacks without deleting it: the B step that replaced A's step no longer makes it.
  const counterpart = new Map<number, number>();
  for (const r of alignment) if (r.a !== undefined && r.b !== undefined) counterpart.set(r.a, r.b);
  const byB = (layer: number): Attribution => attribution(b, 'b', layer);
  const changes = comparePairs(treePairs(treeA, treeB), opts, (kind, pa, pb) => {
    if (kind === 'removed') {
      const l = deletedInB.get(pa!.facts.path) ?? counterpart.get(pa!.layer);
      return l !== undefined ? byB(l) : attribution(a, 'a', pa!.layer);
    }
    return byB(pb!.layer);
  });
  return { a: { ref: a.ref, digest: a.digest }, b: { ref: b.ref, digest: b.digest }, alignment, ...changes };
}

/** Diffs two layers' own entries (a layer's change set, whiteouts included). */
export function diffLayers(a: ImageMeta, la: number, scanA: LayerScan, b: ImageMeta, lb: number, scanB: LayerScan,
  opts: DiffOptions = {}): DiffResult {
  const toMap = (s: LayerScan, layer: number) => {
    const m = new Map<string, Side>();
    for (const f of s.entries) m.set(f.path + (f.type === 'opaque' ? '/.wh..wh..opq' : ''), { facts: f, layer, implicit: false });
    return m;
  };
  const changes = comparePairs(mapPairs(toMap(scanA, la), toMap(scanB, lb)), opts, (kind) =>
    kind === 'removed' ? attribution(a, 'a', la) : attribution(b, 'b', lb));
  return {
    a: { ref: a.ref, digest: a.layers[la]!.digest, layer: la }, b: { ref: b.ref, digest: b.layers[lb]!.digest, layer: lb },
    alignment: [], ...changes,
  };
}

function attribution(meta: ImageMeta, side: 'a' | 'b', layer: number): Attribution {
  const h = meta.layers[layer]?.history;
  const at: Attribution = { side, layer, createdBy: h?.createdBy ?? '' };
  if (h) at.history = h.index;
  return at;
}

function merge(scans: LayerScan[], onHidden?: (path: string, layer: number) => void): MergedTree {
  const t = new MergedTree();
  scans.forEach((s, i) => t.apply({ index: i, entries: s.entries }, onHidden ? { hidden: (n, by) => onHidden(n.facts.path, by) } : {}));
  return t;
}

const side = (n: TreeNode): Side => ({ facts: n.facts, layer: n.layer, implicit: n.implicit === true });

/** Every path of either tree with its two sides, by a merge-join over sorted children (no path index built). */
function* treePairs(ta: MergedTree, tb: MergedTree): Generator<[string, Side | undefined, Side | undefined]> {
  function* only(n: TreeNode, onA: boolean): Generator<[string, Side | undefined, Side | undefined]> {
    yield onA ? [n.facts.path, side(n), undefined] : [n.facts.path, undefined, side(n)];
    if (n.children) for (const c of n.children.values()) yield* only(c, onA);
  }
  function* both(na: TreeNode, nb: TreeNode): Generator<[string, Side | undefined, Side | undefined]> {
    const ca = na.children, cb = nb.children;
    if (ca) for (const [name, a] of ca) {
      const b = cb?.get(name);
      if (!b) { yield* only(a, true); continue; }
      yield [a.facts.path, side(a), side(b)];
      if (a.children && b.children) yield* both(a, b);
      else if (a.children) for (const c of a.children.values()) yield* only(c, true);
      else if (b.children) for (const c of b.children.values()) yield* only(c, false);
    }
    if (cb) for (const [name, b] of cb) if (!ca?.has(name)) yield* only(b, false);
  }
  yield* both(ta.root, tb.root);
}

function* mapPairs(ma: Map<string, Side>, mb: Map<string, Side>): Generator<[string, Side | undefined, Side | undefined]> {
  for (const [path, sb] of mb) yield [path, ma.get(path), sb];
  for (const [path, sa] of ma) if (!mb.has(path)) yield [path, sa, undefined];
}

type Attribute = (kind: Change['kind'], a: Side | undefined, b: Side | undefined) => Attribution;

function comparePairs(pairs: Iterable<[string, Side | undefined, Side | undefined]>, opts: DiffOptions, attribute: Attribute) {
  const changes: Change[] = [];
  let mtimeOnlyHidden = 0;
  for (const [path, sa, sb] of pairs) {
    if (!sa) {
      changes.push({ path: '/' + path, kind: 'added', aspects: [], b: summary(sb!.facts), by: attribute('added', undefined, sb) });
      continue;
    }
    if (!sb) {
      changes.push({ path: '/' + path, kind: 'removed', aspects: [], a: summary(sa.facts), by: attribute('removed', sa, undefined) });
      continue;
    }
    let aspects = compareFacts(sa.facts, sb.facts, !sa.implicit && !sb.implicit);
    if (!opts.mtime && aspects.includes('mtime')) {
      aspects = aspects.filter((x) => x !== 'mtime');
      if (aspects.length === 0) mtimeOnlyHidden++;
    }
    if (aspects.length > 0) {
      changes.push({ path: '/' + path, kind: 'changed', aspects, a: summary(sa.facts), b: summary(sb.facts), by: attribute('changed', sa, sb) });
    }
  }
  changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const count = (k: Change['kind']) => changes.filter((c) => c.kind === k).length;
  return { changes, summary: { added: count('added'), removed: count('removed'), changed: count('changed'), mtimeOnlyHidden } };
}

/** The facts of a path in the form diffs report. */
export function summary(f: FileFacts): FileSummary {
  const s: FileSummary = { type: f.type, mode: f.mode, uid: f.uid, gid: f.gid, size: f.contentSize ?? f.size, mtime: isoTime(f.mtimeNs) };
  if (f.hash) s.sha256 = f.hash;
  if (f.linkname !== undefined) s.linkname = f.linkname;
  if (f.xattrs) s.xattrs = f.xattrs;
  return s;
}
