import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { LayerEntry } from '@strata/oci';
import type { EntryStat } from './dir-stat.js';
import { comparePaths, kindOf, splitDev } from './file-kind.js';
import { readXattrs } from './xattrs.js';

/** One change found by a differ, before it becomes a LayerEntry. */
export type Change =
  | { kind: 'whiteout'; path: string }
  | { kind: 'opaque'; path: string }
  | { kind: 'object'; path: string; abs: string; st: EntryStat; /** Known to have no xattrs (not listed again). */ noXattrs?: boolean };

/** Sort rank at one path: the object first, then its opaque marker (a directory before what it hides). */
function rank(c: Change): number {
  return c.kind === 'object' ? 0 : c.kind === 'opaque' ? 1 : 2;
}

/**
 * Turns changes into sorted LayerEntries: parents before children, the first name of an inode (dev, ino) a
 * 'file' and later names 'hardlink' to it, xattrs read (private ones filtered), content opened lazily.
 */
export async function* toEntries(changes: Change[]): AsyncGenerator<LayerEntry> {
  const sorted = [...changes].sort((a, b) => comparePaths(a.path, b.path) || rank(a) - rank(b));
  const firstName = new Map<string, string>();
  for (const c of sorted) {
    if (c.kind !== 'object') {
      yield { path: c.path, type: c.kind, mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n };
      continue;
    }
    const { st, abs } = c;
    const type = kindOf(st);
    const entry: LayerEntry = {
      path: c.path, type, mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid),
      size: 0, mtimeNs: st.mtimeNs,
    };
    if (c.noXattrs !== true) {
      const xattrs = readXattrs(abs);
      if (Object.keys(xattrs).length > 0) entry.xattrs = xattrs;
    }
    if (type !== 'dir' && st.nlink > 1n) {
      const id = `${st.dev}:${st.ino}`;
      const first = firstName.get(id);
      if (first !== undefined) {
        entry.type = 'hardlink';
        entry.linkname = first;
        yield entry;
        continue;
      }
      firstName.set(id, c.path);
    }
    if (type === 'file') {
      entry.size = Number(st.size);
      entry.contentPath = abs;
      entry.open = () => openContent(abs, st.size);
      if (st.size <= BigInt(SMALL_FILE)) entry.readSync = () => readSmall(abs, entry.size);
    } else if (type === 'symlink') {
      entry.linkname = fs.readlinkSync(abs);
    } else if (type === 'char' || type === 'block') {
      const { major, minor } = splitDev(st.rdev);
      entry.devmajor = major;
      entry.devminor = minor;
    }
    yield entry;
  }
}

/** Files up to this size are read in one call: a read stream's setup costs ten times the read for small files. */
const SMALL_FILE = 1 << 20;

/**
 * A small file's content in one read of the size lstat gave (no fstat, and small buffers come from Node's
 * pool). One byte more is asked for, so a file that grew since comes back longer and the writer refuses it.
 */
function readSmall(abs: string, size: number): Buffer {
  const fd = fs.openSync(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, n);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function openContent(abs: string, size: bigint): Readable {
  if (size <= BigInt(SMALL_FILE)) return Readable.from([fs.readFileSync(abs)]);
  return fs.createReadStream(abs, { highWaterMark: SMALL_FILE });
}
