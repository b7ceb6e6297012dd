import type { LayerEntry, LayerEntryType } from '@strata/oci';

/**
 * What inspect keeps of one layer entry: the tar header's facts plus a content hash, never the content.
 * Paths are relative without a leading '/', as in LayerEntry.
 */
export interface FileFacts extends Omit<LayerEntry, 'xattrs' | 'open' | 'uname' | 'gname'> {
  /** Extended attributes, values base64-encoded so binary values compare and print exactly. */
  xattrs?: Record<string, string>;
  /** sha256 hex of the content of a file; for a hardlink, its target's (filled in when the tree is merged). */
  hash?: string;
  /** Content size for a hardlink (its target's), else equal to size. */
  contentSize?: number;
}

/** The facts of a LayerEntry, without its content hash. */
export function factsOf(e: LayerEntry): FileFacts {
  const f: FileFacts = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.type === 'file' ? e.size : 0, mtimeNs: e.mtimeNs };
  if (e.linkname !== undefined && (e.type === 'symlink' || e.type === 'hardlink')) f.linkname = e.linkname;
  if (e.type === 'char' || e.type === 'block') { f.devmajor = e.devmajor ?? 0; f.devminor = e.devminor ?? 0; }
  if (e.xattrs && Object.keys(e.xattrs).length > 0) {
    f.xattrs = {};
    for (const k of Object.keys(e.xattrs).sort()) f.xattrs[k] = e.xattrs[k]!.toString('base64');
  }
  return f;
}

/** The type a user sees in a merged filesystem: a hardlink is a regular file there. */
export function fsType(f: FileFacts): LayerEntryType {
  return f.type === 'hardlink' ? 'file' : f.type;
}

const TYPE_CHAR: Partial<Record<LayerEntryType, string>> = {
  file: '-', hardlink: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', whiteout: 'D', opaque: 'O',
};

/** `ls -l` style mode string, e.g. `drwxr-xr-x`, with setuid/setgid/sticky letters. */
export function modeString(f: FileFacts): string {
  const m = f.mode;
  const rwx = (bits: number, special: boolean, ch: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-');
  return (TYPE_CHAR[f.type] ?? '?') + rwx((m >> 6) & 7, (m & 0o4000) !== 0, 's') + rwx((m >> 3) & 7, (m & 0o2000) !== 0, 's') +
    rwx(m & 7, (m & 0o1000) !== 0, 't');
}

/** Nanoseconds since the epoch as an ISO-8601 string (millisecond precision). */
export function isoTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ns) : d.toISOString();
}

/** The directory part of a relative path ('' for a top-level entry). */
export function dirnameOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Every ancestor directory of a relative path, shallowest first, without the path itself. */
export function ancestorsOf(p: string): string[] {
  const out: string[] = [];
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i));
  return out;
}

/** A user-facing absolute path for a relative one. */
export function abs(p: string): string {
  return '/' + p;
}
