import { lstatSync, type BigIntStats } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { MODE_TYPE_BITS, cleanPath, compileSegment, hasWildcard, type BuildContext, type Entry } from '@strata/context';
import { BuildError } from './errors.js';

/** The parts of an lstat a copy reads: BigIntStats has them, and the context serves them from its walk. */
export type SourceStat = Pick<BigIntStats, 'isDirectory' | 'isFile' | 'isSymbolicLink' | 'isCharacterDevice' | 'isBlockDevice'
  | 'mode' | 'uid' | 'gid' | 'size' | 'mtimeNs' | 'nlink' | 'dev' | 'ino' | 'rdev'>;

/** Where COPY reads from: the build context (ignore rules applied) or another stage's root filesystem. */
export interface SourceTree {
  /** Absolute path on the host of a root-relative path ('.' is the root). */
  abs(rel: string): string;
  /** lstat of a path, undefined when absent (or ignored). */
  stat(rel: string): Promise<SourceStat | undefined>;
  /** stat without a promise, where the tree has it at hand (a copy of 10,000 small files awaits none). */
  statSync?(rel: string): SourceStat | undefined;
  /** Sorted child names of a directory (ignored ones left out). */
  children(rel: string): Promise<string[]>;
}

/** The build context as a SourceTree: only what survived .dockerignore exists. */
export function contextTree(ctx: BuildContext): SourceTree {
  // What the walk saw, which is also what the checksum covered; an lstat per file cost a tenth of a
  // 10,000-file COPY. A walk without link counts (an older context) is asked again.
  const statSync = (rel: string): SourceStat | undefined => {
    const e = ctx.entries.get(rel);
    if (e === undefined) return undefined;
    return e.nlink === undefined ? lstatSync(path.join(ctx.dir, rel), { bigint: true }) : new WalkedStat(e, e.nlink);
  };
  return {
    abs: (rel) => path.join(ctx.dir, rel),
    stat: async (rel) => statSync(rel),
    statSync,
    children: async (rel) => [...(ctx.entries.get(rel)?.children ?? [])],
  };
}

/** A walked context entry as the lstat a copy reads (methods on the prototype: no closures per entry). */
class WalkedStat implements SourceStat {
  readonly mode: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly rdev: bigint;
  constructor(private readonly e: Entry, readonly nlink: bigint) {
    this.mode = MODE_TYPE_BITS[e.type] | BigInt(e.mode);
    this.uid = BigInt(e.uid);
    this.gid = BigInt(e.gid);
    this.size = e.size;
    this.mtimeNs = e.mtimeNs;
    this.dev = e.dev;
    this.ino = e.ino;
    this.rdev = e.rdev;
  }
  isDirectory(): boolean { return this.e.type === 'dir'; }
  isFile(): boolean { return this.e.type === 'file'; }
  isSymbolicLink(): boolean { return this.e.type === 'symlink'; }
  isCharacterDevice(): boolean { return this.e.type === 'char'; }
  isBlockDevice(): boolean { return this.e.type === 'block'; }
}

/** A directory (a mounted stage or image) as a SourceTree. */
export function dirTree(root: string): SourceTree {
  const statSync = (rel: string): SourceStat | undefined => {
    try {
      return lstatSync(path.join(root, rel), { bigint: true });
    } catch {
      return undefined;
    }
  };
  return {
    abs: (rel) => path.join(root, rel),
    stat: async (rel) => statSync(rel),
    statSync,
    children: async (rel) => (await readdir(path.join(root, rel)).catch(() => [] as string[])).sort(),
  };
}

const join = (a: string, b: string) => (a === '.' ? b : `${a}/${b}`);

/** Follows symlinks along a root-relative path, never leaving the root (as a chroot would). */
export async function resolveLinks(tree: SourceTree, rel: string, source: string): Promise<string | undefined> {
  let todo = rel === '.' ? [] : rel.split('/');
  let cur = '.';
  for (let hops = 0; todo.length > 0;) {
    const name = todo.shift()!;
    const next = join(cur, name);
    const st = await tree.stat(next);
    if (st === undefined) return undefined;
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (++hops > 40) throw new BuildError(`${source}: too many levels of symbolic links`);
    const target = await readlink(tree.abs(next));
    const base = target.startsWith('/') ? '/' : '/' + (cur === '.' ? '' : cur);
    const joined = cleanPath(path.posix.join(base, target));
    todo = [...(joined === '/' ? [] : joined.slice(1).split('/')), ...todo];
    cur = '.';
  }
  return cur;
}

/** The root-relative paths a COPY source names: itself, or every match of its wildcards, links followed. */
export async function matchSource(tree: SourceTree, source: string): Promise<string[]> {
  return [...new Set((await matchSourceNamed(tree, source)).map((m) => m.path))].sort();
}

/** One COPY source match: its path with links followed, and the name it had before (a copied link keeps its own name). */
export interface SourceMatch {
  path: string;
  name: string;
}

/** matchSource with each match's own name (the last segment as written or matched, before links are followed). */
export async function matchSourceNamed(tree: SourceTree, source: string): Promise<SourceMatch[]> {
  const c = cleanPath('/' + source);
  const rel = c === '/' ? '.' : c.slice(1);
  if (!hasWildcard(rel)) {
    const r = await resolveLinks(tree, rel, source);
    return r === undefined ? [] : [{ path: r, name: path.posix.basename(rel) }];
  }
  let dirs: SourceMatch[] = [{ path: '.', name: '.' }];
  for (const seg of rel.split('/')) {
    const next: SourceMatch[] = [];
    for (const d of dirs) {
      if (!(await tree.stat(d.path))?.isDirectory()) continue;
      const names = hasWildcard(seg) ? (await tree.children(d.path)).filter((n) => compileSegment(seg).test(n)) : [seg];
      for (const n of names) {
        const r = await resolveLinks(tree, join(d.path, n), source);
        if (r !== undefined) next.push({ path: r, name: n });
      }
    }
    dirs = next;
  }
  const seen = new Set<string>();
  return dirs.filter((m) => !seen.has(`${m.path}\0${m.name}`) && seen.add(`${m.path}\0${m.name}`))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
