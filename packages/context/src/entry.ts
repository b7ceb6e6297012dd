import type { BigIntStats } from 'node:fs';

/** What kind of file an entry is; sockets are never part of a context. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'char' | 'block';

/** One path of the context as the walk saw it (lstat, never following links). */
export interface Entry {
  /** Context-relative, slash-separated, cleaned ("a/b"). */
  path: string;
  type: EntryType;
  dev: bigint;
  ino: bigint;
  /** Permission and special bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  rdev: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Target of a symlink, as stored in the link. */
  link?: string;
  /** Names of children, sorted, for directories. */
  children?: string[];
  /** `dev:ino:size:mtimeNs:ctimeNs`, the stat index's identity of the file (see statKeyOf). */
  statKey?: string;
  /** Link count, as the walk saw it (a COPY keeps hard links within what it copies). */
  nlink?: bigint;
  /**
   * Directories: a hash of the stat lines of everything below (walk.ts), equal across walks only when no path
   * under it was added, removed or changed in any way a checksum could see (tree-memo.ts).
   */
  treeSig?: string;
}

/** The five stat fields a stat index record must match, as one string. */
export function statKeyOf(e: Entry): string {
  return (e.statKey ??= `${e.dev}:${e.ino}:${e.size}:${e.mtimeNs}:${e.ctimeNs}`);
}

/** The file-type bits (S_IFMT) of st_mode for each entry type. */
export const MODE_TYPE_BITS: Readonly<Record<EntryType, bigint>> = {
  file: 0o100000n, dir: 0o040000n, symlink: 0o120000n, fifo: 0o010000n, char: 0o020000n, block: 0o060000n,
};

/** Build an Entry from a path and its bigint lstat. */
export function entryOf(path: string, type: EntryType, st: BigIntStats): Entry {
  return {
    path,
    type,
    dev: st.dev,
    ino: st.ino,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: st.size,
    rdev: st.rdev,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    nlink: st.nlink,
  };
}
