import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { LayerEntry } from '@strata/oci';

/** The mtime every fixture entry has unless a test sets another. */
export const T0 = 1_700_000_000n * 1_000_000_000n;

interface Attrs { mode?: number; uid?: number; gid?: number; mtimeNs?: bigint; xattrs?: Record<string, Buffer> }

function base(path: string, type: LayerEntry['type'], mode: number, a: Attrs): LayerEntry {
  const e: LayerEntry = { path, type, mode: a.mode ?? mode, uid: a.uid ?? 0, gid: a.gid ?? 0, size: 0, mtimeNs: a.mtimeNs ?? T0 };
  if (a.xattrs) e.xattrs = a.xattrs;
  return e;
}

/** A regular file with the given content. */
export function file(path: string, content: string | Buffer, a: Attrs = {}): LayerEntry {
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { ...base(path, 'file', 0o644, a), size: data.length, open: () => Readable.from([data]) };
}

/** A directory. */
export function dir(path: string, a: Attrs = {}): LayerEntry {
  return base(path, 'dir', 0o755, a);
}

/** A symbolic link. */
export function symlink(path: string, target: string, a: Attrs = {}): LayerEntry {
  return { ...base(path, 'symlink', 0o777, a), linkname: target };
}

/** A hard link to another path of the layer. */
export function hardlink(path: string, target: string, a: Attrs = {}): LayerEntry {
  return { ...base(path, 'hardlink', 0o755, a), linkname: target };
}

/** A whiteout deleting `path` from lower layers. */
export function whiteout(path: string): LayerEntry {
  return base(path, 'whiteout', 0, {});
}

/** An opaque marker hiding everything lower layers had under `path`. */
export function opaque(path: string): LayerEntry {
  return base(path, 'opaque', 0, {});
}

/** `n` deterministic pseudo-random bytes (incompressible), different per seed. */
export function bytes(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let off = 0, i = 0; off < n; off += block.length, i++) {
    block = createHash('sha256').update(`${seed}:${i}`).digest();
    block.copy(out, off, 0, Math.min(block.length, n - off));
  }
  return out;
}

/** sha256 hex of a string or buffer. */
export function sha(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
