import { compareFacts } from './compare.js';
import type { FileFacts } from './facts.js';
import { MergedTree } from './merge.js';
import type { LayerScan } from './scan.js';
import { lookup, walk } from './tree.js';

/**
 * What a layer's entry did to the filesystem below it. `unchanged` is an entry that restates what was there
 * (typically a parent directory a tar must carry; a directory's mtime alone does not count as a change).
 */
export type EntryStatus = 'added' | 'changed' | 'unchanged' | 'deleted' | 'opaque';

/** One row of `strata ls`. */
export interface ListRow {
  path: string;
  facts: FileFacts;
  /** The layer whose entry is shown (merged view: the layer that last wrote the path). */
  layer: number;
  /** Layer view only. */
  status?: EntryStatus;
  /** Layer view, deletions only: how many paths and file bytes the entry hid. */
  removedPaths?: number;
  removedBytes?: number;
}

/** Normalises a user path (`/usr/lib/`, `usr`, `/`) to the relative form layers use. */
export function relPath(p: string | undefined): string {
  return (p ?? '').split('/').filter((c) => c !== '' && c !== '.').join('/');
}

function under(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(prefix + '/');
}

/**
 * The merged filesystem under `path`, depth-first in name order; undefined when the path does not exist.
 * The path itself is included when it is not the root.
 */
export function listMerged(scans: LayerScan[], path?: string): ListRow[] | undefined {
  const tree = new MergedTree();
  scans.forEach((s, i) => tree.apply({ index: i, entries: s.entries }));
  const prefix = relPath(path);
  const start = lookup(tree.root, prefix);
  if (!start) return undefined;
  const rows: ListRow[] = [];
  for (const n of walk(start, prefix !== '')) rows.push({ path: '/' + n.facts.path, facts: n.facts, layer: n.layer });
  return rows;
}

/** One layer's own entries under `path`, each with what it did relative to the layers below. */
export function listLayer(scans: LayerScan[], layer: number, path?: string): ListRow[] {
  const tree = new MergedTree();
  for (let i = 0; i < layer; i++) tree.apply({ index: i, entries: scans[i]!.entries });
  const prefix = relPath(path);
  const rows: ListRow[] = [];
  const deletions = new Map<FileFacts, ListRow>();
  tree.apply({ index: layer, entries: scans[layer]!.entries }, {
    deleted(f, removed) {
      const row: ListRow = {
        path: '/' + f.path, facts: f, layer, status: f.type === 'opaque' ? 'opaque' : 'deleted',
        removedPaths: removed.length, removedBytes: removed.reduce((s, r) => s + (r.type === 'file' ? r.size : 0), 0),
      };
      deletions.set(f, row);
    },
    added(f, before) {
      if (!under(f.path, prefix)) return;
      rows.push({ path: '/' + f.path, facts: f, layer, status: statusOf(f, before) });
    },
  });
  for (const [f, row] of deletions) if (under(f.path, prefix)) rows.push(row);
  return rows.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.status === 'opaque' ? -1 : 1));
}

/** What an added entry did relative to what the lower layers had at its path. */
export function statusOf(f: FileFacts, before: FileFacts | undefined): EntryStatus {
  if (!before) return 'added';
  const aspects = compareFacts(before, f).filter((a) => !(a === 'mtime' && f.type === 'dir'));
  return aspects.length === 0 ? 'unchanged' : 'changed';
}
