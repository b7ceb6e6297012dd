import fs from 'node:fs';
import { applyEntries, type ApplyEntry } from './apply-entries.js';
import { toEntries, type Change } from './change-set.js';
import { UnionTree } from './union-tree.js';
import { readXattrs } from './xattrs.js';
import { sys } from './sys.js';

/**
 * Writes the merged view of overlay-format layer dirs (top first) into the empty dir `dest` as a plain tree:
 * whiteouts resolved, hardlinks kept, files reflinked where the filesystem allows. The copy driver's
 * "full copy of the parent chain", and the flattening of chains too long to mount.
 */
export async function materialize(layers: string[], dest: string): Promise<void> {
  const tree = new UnionTree(layers);
  const root = await tree.root();
  if (!root) return;
  const changes: Change[] = [];
  for await (const n of tree.walk()) changes.push({ kind: 'object', path: n.path, abs: n.abs, st: n.st });
  const sources = new Map(changes.map((c) => [c.path, c.kind === 'object' ? c.abs : '']));
  async function* withSources(): AsyncGenerator<ApplyEntry> {
    for await (const e of toEntries(changes)) yield e.type === 'file' ? { ...e, sourcePath: sources.get(e.path) } : e;
  }
  await applyEntries(withSources(), dest, 'tree');
  const s = sys();
  s.lchown(dest, Number(root.st.uid), Number(root.st.gid));
  fs.chmodSync(dest, Number(root.st.mode) & 0o7777);
  for (const [n, v] of Object.entries(readXattrs(root.abs))) s.setXattr(dest, n, v, 0);
  s.lutimesNs(dest, root.st.mtimeNs, root.st.mtimeNs);
}
