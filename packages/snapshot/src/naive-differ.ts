import fs from 'node:fs';
import path from 'node:path';
import type { LayerEntry } from '@strata/oci';
import { toEntries, type Change } from './change-set.js';
import { kindOf } from './file-kind.js';
import { UnionTree, type TreeNode } from './union-tree.js';
import { readXattrs, sameXattrs } from './xattrs.js';

/** Options of the naive differ. */
export interface NaiveDiffOptions {
  /**
   * ctime (ns) of a marker written right after the new tree was copied from the old one. A file whose ctime is
   * older was not touched since, so equal size and mtime are trusted; a newer one with equal size and mtime is
   * compared byte by byte. Without it, every such file is compared.
   */
  copiedAtNs?: bigint;
}

/**
 * The naive differ: compares a real tree (`newDir`) with the merged view of overlay-format layers (`oldLayers`,
 * top first) and yields the overlay-equivalent change set, sorted.
 *
 * What counts as a change (decided as containers/storage's naive differ and BuildKit's continuity do): type,
 * mode, owner, device number, symlink target, xattrs, size, and — for non-directories — mtime. A file whose
 * only difference is its mtime IS a change, because the tar carries mtime and `touch` is a deliberate edit;
 * a directory's mtime is ignored (it moves whenever a child changes; the child is the change). Unlike those
 * tools, equal size + mtime is not trusted for files touched after the copy (see copiedAtNs).
 * Every changed path brings its parent dirs, and a changed file brings every other name of its inode so
 * hardlinks stay links when the layer is applied.
 */
export async function* diffTrees(oldLayers: string[], newDir: string, opts: NaiveDiffOptions = {}): AsyncGenerator<LayerEntry> {
  yield* toEntries(await collectTreeChanges(oldLayers, newDir, opts));
}

/** The changes between the trees, unsorted. */
export async function collectTreeChanges(oldLayers: string[], newDir: string, opts: NaiveDiffOptions = {}): Promise<Change[]> {
  const oldTree = new UnionTree(oldLayers);
  const newTree = new UnionTree([newDir], false);
  const changes = new Map<string, Change>();
  const nodes = new Map<string, TreeNode>();
  const byInode = new Map<string, string[]>();

  const add = (n: TreeNode) => changes.set(n.path, { kind: 'object', path: n.path, abs: n.abs, st: n.st });
  const addSubtree = async (n: TreeNode): Promise<void> => {
    add(n);
    note(n);
    if (n.dirs) for await (const c of newTree.walk(n)) { add(c); note(c); }
  };
  const note = (n: TreeNode) => {
    nodes.set(n.path, n);
    if (!n.dirs && n.st.nlink > 1n) {
      const id = `${n.st.dev}:${n.st.ino}`;
      byInode.set(id, [...(byInode.get(id) ?? []), n.path]);
    }
  };

  const compareDir = async (o: TreeNode | undefined, n: TreeNode): Promise<void> => {
    const olds = new Map((o ? await oldTree.readDir(o) : []).map((x) => [path.basename(x.path), x]));
    for (const nc of await newTree.readDir(n)) {
      const name = path.basename(nc.path);
      const oc = olds.get(name);
      olds.delete(name);
      if (!oc || kindOf(oc.st) !== kindOf(nc.st)) {
        await addSubtree(nc);
        continue;
      }
      note(nc);
      if (await differs(oc, nc, opts)) add(nc);
      if (nc.dirs) await compareDir(oc, nc);
    }
    for (const gone of olds.values()) changes.set(gone.path, { kind: 'whiteout', path: gone.path });
  };

  const newRoot = (await newTree.root())!;
  await compareDir(await oldTree.root(), newRoot);

  // Whole hardlink groups, then every ancestor dir, so the layer applies on its own.
  for (const c of [...changes.values()]) {
    if (c.kind !== 'object' || c.st.isDirectory() || c.st.nlink < 2n) continue;
    for (const p of byInode.get(`${c.st.dev}:${c.st.ino}`) ?? []) if (!changes.has(p)) add(nodes.get(p)!);
  }
  for (const c of [...changes.values()]) {
    for (let p = path.posix.dirname(c.path); p !== '.'; p = path.posix.dirname(p)) {
      const existing = changes.get(p);
      if (existing) break;
      add(nodes.get(p)!);
    }
  }
  return [...changes.values()];
}

/** Whether two same-typed nodes differ (see diffTrees for the rules). */
async function differs(o: TreeNode, n: TreeNode, opts: NaiveDiffOptions): Promise<boolean> {
  const a = o.st;
  const b = n.st;
  if ((a.mode & 0o7777n) !== (b.mode & 0o7777n) || a.uid !== b.uid || a.gid !== b.gid) return true;
  if (!sameXattrs(readXattrs(o.abs), readXattrs(n.abs))) return true;
  if (b.isDirectory()) return false;
  if (b.isSymbolicLink()) return fs.readlinkSync(o.abs) !== fs.readlinkSync(n.abs) || a.mtimeNs !== b.mtimeNs;
  if (b.isCharacterDevice() || b.isBlockDevice()) return a.rdev !== b.rdev || a.mtimeNs !== b.mtimeNs;
  if (a.size !== b.size || a.mtimeNs !== b.mtimeNs) return true;
  if (!b.isFile()) return false;
  if (opts.copiedAtNs !== undefined && b.ctimeNs < opts.copiedAtNs) return false;
  return !(await sameContent(o.abs, n.abs));
}

/** Byte comparison of two files of equal size. */
async function sameContent(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([fs.promises.open(a, 'r'), fs.promises.open(b, 'r')]);
  try {
    const ba = Buffer.alloc(1 << 16);
    const bb = Buffer.alloc(1 << 16);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length, null), fb.read(bb, 0, bb.length, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
