import fs, { constants as C, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { OciError } from './errors.js';
import { NodeExtractFs, type ExtractFs } from './extract-fs.js';
import type { LayerEntry } from './layer-entry.js';
import { normaliseLayerPath, UnsafePathError } from './layer-path.js';
import { readLayerTar } from './tar-reader.js';

/** How extraction treats whiteouts and devices. */
export interface ExtractOptions {
  /** Native operations; default NodeExtractFs. */
  fs?: ExtractFs;
  /**
   * 'apply' deletes whited-out paths (a merged tree: export, flatten); 'overlay' records them in overlay's
   * upper-dir form (0/0 char devices, opaque xattr) for a layer dir used as an overlay lower.
   */
  whiteouts?: 'apply' | 'overlay';
  /** Device nodes: create them, skip them, or fail. Default: create when root, else skip. */
  devices?: 'create' | 'skip' | 'reject';
  /** chown entries to their uid/gid. Default: when running as root. */
  sameOwner?: boolean;
  /** Names the archive in errors. */
  source?: string;
}

/** What an extraction did. */
export interface ExtractStats {
  entries: number;
  bytes: number;
  skippedDevices: number;
  skippedXattrs: number;
}

const MAX_LINKS = 40;

/**
 * Resolves `rel` inside `root` as if `root` were `/`: symlinks in the parents are followed but can never leave
 * root (an absolute target restarts at root, '..' stops at root), like chroot. Missing directories are created
 * when `create`; the last component is not followed. Returns the host path.
 */
async function resolveParent(root: string, rel: string, create: boolean, where: string, known?: Map<string, string>): Promise<string> {
  const hit = known?.get(rel);
  if (hit !== undefined) return hit;
  const todo = rel === '' ? [] : rel.split('/');
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const p = path.join(root, ...done, c);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) {
      if (!create) throw new OciError(`${where}: ${path.join(...done, c)} does not exist`);
      fs.mkdirSync(p, { mode: 0o755 });
      done.push(c);
    } else if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new UnsafePathError(`${where}: too many levels of symbolic links`);
      const target = fs.readlinkSync(p);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
    } else if (st.isDirectory()) done.push(c);
    else throw new OciError(`${where}: ${path.join(...done, c)} is not a directory`);
  }
  const out = path.join(root, ...done);
  known?.set(rel, out);
  return out;
}

async function removeExisting(p: string): Promise<Stats | undefined> {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  // A directory may hold a whole tree: delete that off the event loop; anything else is one unlink.
  if (st?.isDirectory()) await fsp.rm(p, { recursive: true, force: true });
  else if (st) fs.unlinkSync(p);
  return st;
}

/** Content up to this size is written with sync calls: a thread-pool round trip costs more than the write. */
const SYNC_WRITE_MAX = 256 * 1024;

/** Creates `target` (never following or replacing) with the entry's content. */
async function writeContent(target: string, e: LayerEntry, where: string): Promise<void> {
  const fd = fs.openSync(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  try {
    if (e.size === 0) return;
    if (!e.open) throw new OciError(`${where}: file without content`);
    let n = 0;
    for await (const chunk of e.open()) {
      const c = chunk as Buffer;
      if (e.size <= SYNC_WRITE_MAX) for (let off = 0; off < c.length;) off += fs.writeSync(fd, c, off);
      else for (let off = 0; off < c.length;) off += await writeFd(fd, c, off);
      n += c.length;
    }
    if (n !== e.size) throw new OciError(`${where}: content is ${n} bytes, expected ${e.size}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** One write(2) of c from `off` on the thread pool; resolves with the bytes written. */
function writeFd(fd: number, c: Buffer, off: number): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, c, off, c.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Applies a stream of entries to `dir`; nothing is ever written outside `dir`. */
export async function applyLayerEntries(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>, dir: string, opts: ExtractOptions = {}): Promise<ExtractStats> {
  const xfs = opts.fs ?? new NodeExtractFs();
  const root = path.resolve(dir);
  const isRoot = process.getuid?.() === 0;
  const devices = opts.devices ?? (isRoot ? 'create' : 'skip');
  const sameOwner = opts.sameOwner ?? isRoot;
  const mode = opts.whiteouts ?? 'apply';
  const src = opts.source ?? 'layer';
  const stats: ExtractStats = { entries: 0, bytes: 0, skippedDevices: 0, skippedXattrs: 0 };
  const written = new Set<string>();
  const dirTimes: Array<[string, bigint]> = [];
  // Parent dirs already resolved, by relative path: most entries share their parent with the one before.
  // Anything removed or replaced may have been a directory or symlink on a cached path, so any removal
  // forgets them all; creating new entries cannot change where an existing path resolves.
  const known = new Map<string, string>();
  for await (const e of entries) {
    const rel = normaliseLayerPath(e.path, `${src}: entry ${JSON.stringify(e.path)}`);
    const where = `${src}: ${rel}`;
    if (rel === '' && e.type !== 'opaque') continue;
    stats.entries++;
    const slash = rel.lastIndexOf('/');
    const parent = await resolveParent(root, slash < 0 ? '' : rel.slice(0, slash), true, where, known);
    const target = rel === '' ? root : path.join(parent, rel.slice(slash + 1));
    if (e.type === 'opaque') {
      if (mode === 'overlay') await xfs.setOpaque(target);
      else {
        known.clear();
        await clearOpaque(root, target, written);
      }
      continue;
    }
    if (e.type === 'whiteout') {
      if (await removeExisting(target)) known.clear();
      if (mode === 'overlay') await xfs.whiteout(target);
      continue;
    }
    // Only an opaque marker in 'apply' mode asks what this layer wrote.
    if (mode === 'apply') written.add(path.relative(root, target));
    if (e.type === 'dir') {
      const st = fs.lstatSync(target, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) {
        fs.unlinkSync(target);
        known.clear();
      }
      if (!st || !st.isDirectory()) fs.mkdirSync(target, { mode: 0o700 });
    } else {
      if ((e.type === 'char' || e.type === 'block') && devices !== 'create') {
        if (devices === 'reject') throw new UnsafePathError(`${where}: device node not permitted here`);
        stats.skippedDevices++;
        continue;
      }
      if (await removeExisting(target)) known.clear();
      switch (e.type) {
        case 'file':
          await writeContent(target, e, where);
          stats.bytes += e.size;
          break;
        case 'symlink':
          fs.symlinkSync(e.linkname ?? '', target);
          break;
        case 'hardlink': {
          const link = normaliseLayerPath(e.linkname ?? '', `${where}: hardlink target`);
          const ls = link.lastIndexOf('/');
          const lp = await resolveParent(root, ls < 0 ? '' : link.slice(0, ls), false, `${where}: hardlink target`);
          const from = path.join(lp, link.slice(ls + 1));
          const st = fs.lstatSync(from, { throwIfNoEntry: false });
          if (!st) throw new OciError(`${where}: hardlink target ${link} does not exist`);
          if (st.isDirectory()) throw new UnsafePathError(`${where}: hardlink to a directory`);
          fs.linkSync(from, target);
          continue; // a hardlink shares its target's metadata
        }
        case 'char': case 'block': case 'fifo':
          await xfs.mknod(target, e.type, e.mode, e.devmajor ?? 0, e.devminor ?? 0);
          break;
        default:
          throw new OciError(`${where}: unknown entry type ${String(e.type)}`);
      }
    }
    if (sameOwner) await xfs.lchown(target, e.uid, e.gid);
    if (e.type !== 'symlink') fs.chmodSync(target, e.mode & 0o7777);
    for (const [k, v] of Object.entries(e.xattrs ?? {})) if (!(await xfs.setXattr(target, k, v))) stats.skippedXattrs++;
    if (e.type === 'dir') dirTimes.push([target, e.mtimeNs]);
    else await xfs.lutimes(target, e.mtimeNs);
  }
  // Directory times last: creating their children changed them.
  for (const [p, t] of dirTimes.reverse()) await xfs.lutimes(p, t).catch(() => undefined);
  return stats;
}

/** Opaque in a merged tree: everything in the dir that this layer did not write goes. */
async function clearOpaque(root: string, dirPath: string, written: Set<string>): Promise<void> {
  const st = await fsp.lstat(dirPath).catch(() => undefined);
  if (!st?.isDirectory()) return;
  const walk = async (d: string): Promise<void> => {
    for (const name of await fsp.readdir(d)) {
      const p = path.join(d, name);
      const rel = path.relative(root, p);
      if (!written.has(rel)) await fsp.rm(p, { recursive: true, force: true });
      else if ((await fsp.lstat(p)).isDirectory()) await walk(p);
    }
  };
  await walk(dirPath);
}

/** Extracts an uncompressed layer tar stream into `dir` safely (see applyLayerEntries). */
export async function extractLayer(stream: Readable | AsyncIterable<Buffer>, dir: string, opts: ExtractOptions = {}): Promise<ExtractStats> {
  return applyLayerEntries(readLayerTar(stream, opts.source ? { source: opts.source } : {}), dir, opts);
}
