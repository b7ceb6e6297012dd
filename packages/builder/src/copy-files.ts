import { execFile } from 'node:child_process';
import { chmodSync, closeSync, constants, copyFileSync, fchmodSync, fchownSync, futimesSync, lchownSync, lutimesSync, openSync, readFileSync, readlinkSync, readSync, symlinkSync, writeSync } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { PatternMatcher } from '@strata/context';
import { resolveInRoot } from '@strata/executor';
import type { SmallCopy, SmallFileCopier } from '@strata/snapshot';
import type { ModeFn } from './chmod-spec.js';
import type { SourceStat, SourceTree } from './source-tree.js';

/** How copied entries are owned and moded; undefined fields keep the source's. */
export interface CopyAttrs {
  uid?: number;
  gid?: number;
  /** --chmod: applied to every copied file and directory (octal: the same mode; symbolic: from each one's own). */
  mode?: ModeFn;
  /** Clamp for mtimes (SOURCE_DATE_EPOCH), in seconds. */
  epoch?: number;
}

/** What a copy did; `inodes` maps a source file with several links to its first copy, so links stay links. */
export interface CopyCount {
  files: number;
  bytes: number;
  inodes?: Map<string, Promise<string>>;
  /**
   * Given the content of each small file copied, by destination path: with it set, small files are copied
   * through memory (read, then written) instead of by the kernel, so that the layer writer need not read
   * them back (UpperDir.remember).
   */
  keep?: (dest: string, data: Buffer) => void;
  /** Told the size of each file copied by the kernel (above SMALL_COPY) before it is copied (UpperDir.coming). */
  coming?: (size: number) => void;
  /**
   * With `keep`: copies a new directory's small files on the thread pool, one call per directory, relative to
   * the two directories' descriptors. File creation is kernel work that scales across cores, which sync
   * calls on this thread leave unused (a COPY of 10,000 small files and 150 MB: build 1.4 → 1.2 s).
   */
  copier?: SmallFileCopier;
}

/** Who owns what this process creates in a directory: its euid, and the directory's gid when set-group-ID. */
function creatorOf(dir: { mode: number; gid: number }): { uid: number; gid: number } {
  return { uid: process.geteuid?.() ?? 0, gid: dir.mode & 0o2000 ? dir.gid : process.getegid?.() ?? 0 };
}

/** mknod by the host tool: Node has no mknod. */
function makeDevice(dest: string, st: SourceStat): Promise<void> {
  const rdev = Number(st.rdev);
  const args = [dest, st.isCharacterDevice() ? 'c' : 'b', String((rdev >> 8) & 0xfff), String((rdev & 0xff) | ((rdev >> 12) & 0xfff00))];
  return new Promise((resolve, reject) => execFile('mknod', args, (err) => (err ? reject(new Error(`mknod ${dest}: ${err.message}`)) : resolve())));
}

/**
 * Copies one source path (a file, link, special file or a whole directory) from `tree` to the absolute host
 * path `dest`, as BuildKit's copy does: directories merged into existing ones, files replaced, symlinks copied
 * as links, hard links within the copy kept, devices made, fifos and sockets skipped, mtimes kept, owner and mode from `attrs` where given. `exclude`
 * filters paths below the source. `fresh` (internal) says `dest` is known not to exist, with the owner this
 * process gets there, so neither a removal nor a chown that changes nothing is needed.
 */
export async function copyEntry(tree: SourceTree, rel: string, dest: string, attrs: CopyAttrs, count: CopyCount, exclude?: PatternMatcher, inSource = '', fresh?: { uid: number; gid: number }): Promise<void> {
  const st = (await tree.stat(rel))!;
  const src = tree.abs(rel);
  const { uid, gid, mode, mtime } = ownedAs(st, attrs);
  if (st.isDirectory()) {
    const existing = fresh ? undefined : await lstat(dest).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(dest, { force: true });
    if (!existing?.isDirectory()) await mkdir(dest);
    await copyChildren(tree, rel, dest, attrs, count, exclude, inSource, !existing?.isDirectory());
    await lchown(dest, uid, gid);
    await chmod(dest, mode);
    await utimes(dest, mtime, mtime);
    return;
  }
  if (!fresh) await rm(dest, { recursive: true, force: true });
  const how = leafHow(st, attrs, fresh);
  if (!st.isFile() || st.nlink <= 1n) return copyLeaf(st, src, dest, how, count);
  // A file with several links: the first copy is made, the others link to it once it is complete (entries of
  // a directory are copied a few at a time, so it may still be in flight).
  const key = `${st.dev}:${st.ino}`;
  const first = (count.inodes ??= new Map()).get(key);
  if (first !== undefined) return link(await first, dest);
  const made = copyLeaf(st, src, dest, how, count).then(() => dest);
  count.inodes.set(key, made);
  await made;
}

/**
 * Copies the entries of the source directory `rel` into the directory `dest`, as a COPY of a directory does:
 * its contents, not the directory itself. `dest` keeps its own owner, mode and times (BuildKit's rule: the
 * caller makes a new destination 0755, owned by --chown or root; an existing one is left as it was).
 * `emptyDest` says the caller just made `dest`, so its entries are fresh.
 */
export function copyDirContents(tree: SourceTree, rel: string, dest: string, attrs: CopyAttrs, count: CopyCount, exclude: PatternMatcher | undefined, emptyDest: boolean): Promise<void> {
  return copyChildren(tree, rel, dest, attrs, count, exclude, '', emptyDest);
}

/** Copies the entries of source directory `rel` into the directory `dest`; `empty`: dest was made just now. */
async function copyChildren(tree: SourceTree, rel: string, dest: string, attrs: CopyAttrs, count: CopyCount, exclude: PatternMatcher | undefined, inSource: string, empty: boolean): Promise<void> {
  // Entries of a directory made here need no removal first, and no chown when the owner is already right
  // (for a 10,000-file COPY into a new directory that was an rm, a chown and a chmod per file).
  const childFresh = empty ? creatorOf(await lstat(dest)) : undefined;
  const names = await tree.children(rel);
  const queue = childFresh && count.keep && count.copier && tree.statSync
    ? await copySmallBatched(tree, rel, tree.abs(rel), dest, names, attrs, childFresh, count, inSource, exclude)
    : [...names];
  // A few entries at once: file creation dominates, and the kernel overlaps it across inodes. On a failure
  // every worker is let finish first, so that nothing still writes when the caller unmounts.
  let failed = false;
  const settled = await Promise.allSettled(Array.from({ length: Math.min(8, queue.length) }, async () => {
    for (let n = queue.shift(); n !== undefined && !failed; n = queue.shift()) {
      const childIn = inSource === '' ? n : `${inSource}/${n}`;
      if (exclude?.excludes(childIn)) continue;
      const childRel = rel === '.' ? n : `${rel}/${n}`;
      try {
        // A small file or a link into a new directory is copied right here, with sync calls only: the
        // async path's promises per entry cost a tenth of a 10,000-file copy.
        const cst = childFresh ? tree.statSync?.(childRel) : undefined;
        if (cst && (cst.isSymbolicLink() || (cst.isFile() && cst.size <= SMALL_COPY && cst.nlink <= 1n))) {
          copySmallSync(cst, tree.abs(childRel), path.join(dest, n), leafHow(cst, attrs, childFresh), count);
        } else {
          await copyEntry(tree, childRel, path.join(dest, n), attrs, count, exclude, childIn, childFresh);
        }
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  }));
  const err = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (err) throw err.reason;
}

/** How many bytes of small files one copier call copies at most (their contents are all held at once). */
const BATCH_BYTES = 8 << 20;

/**
 * Copies the small single-link files among `names` (children of the source directory `src`) into the new
 * directory `dest` through count.copier, offering each one's content to count.keep, and returns the names
 * left for the per-entry copy.
 */
async function copySmallBatched(tree: SourceTree, rel: string, src: string, dest: string, names: string[], attrs: CopyAttrs,
  fresh: { uid: number; gid: number }, count: CopyCount, inSource: string, exclude: PatternMatcher | undefined): Promise<string[]> {
  const rest: string[] = [];
  const batches: SmallCopy[][] = [[]];
  let bytes = 0;
  for (const n of names) {
    if (exclude?.excludes(inSource === '' ? n : `${inSource}/${n}`)) continue;
    const cst = tree.statSync!(rel === '.' ? n : `${rel}/${n}`);
    if (cst === undefined || !cst.isFile() || cst.size > SMALL_COPY || cst.nlink > 1n) {
      rest.push(n);
      continue;
    }
    const how = leafHow(cst, attrs, fresh);
    const chmod = chmodAfterCreate(how);
    if (bytes >= BATCH_BYTES) {
      batches.push([]);
      bytes = 0;
    }
    batches.at(-1)!.push({ name: n, size: Number(cst.size), mode: how.mode, uid: how.uid, gid: how.gid, mtime: how.mtime, chown: how.chown, chmod });
    bytes += Number(cst.size);
  }
  for (const batch of batches) {
    if (batch.length === 0) continue;
    const contents = await count.copier!(src, dest, batch);
    batch.forEach((f, i) => {
      const data = contents[i]!;
      count.bytes += data.length;
      count.files++;
      count.keep!(`${dest}/${f.name}`, data);
    });
  }
  return rest;
}

/** The mode an entry gets: --chmod applied to `own` (its source's mode, or the default of something new), else `own`. */
export const modeOf = (attrs: CopyAttrs, own: number, isDir: boolean): number => (attrs.mode ? attrs.mode(own, isDir) : own);

/** Owner, mode and mtime (seconds) a copied entry gets: `attrs` where given, else the source's. */
function ownedAs(st: SourceStat, attrs: CopyAttrs): { uid: number; gid: number; mode: number; mtime: number } {
  const mtimeS = Number(st.mtimeNs / 1000n) / 1e6;
  return {
    uid: attrs.uid ?? Number(st.uid),
    gid: attrs.gid ?? Number(st.gid),
    mode: modeOf(attrs, Number(st.mode & 0o7777n), st.isDirectory()),
    mtime: attrs.epoch !== undefined ? Math.min(mtimeS, attrs.epoch) : mtimeS,
  };
}

/** What a copied leaf needs done: a chown unless it is fresh with the right owner, a chmod for --chmod. */
interface LeafHow { uid: number; gid: number; mode: number; mtime: number; chown: boolean; chmod: boolean }

function leafHow(st: SourceStat, attrs: CopyAttrs, fresh: { uid: number; gid: number } | undefined): LeafHow {
  const o = ownedAs(st, attrs);
  return { ...o, chown: !fresh || fresh.uid !== o.uid || fresh.gid !== o.gid, chmod: attrs.mode !== undefined };
}

/**
 * Files up to this size are copied with sync calls: for a small file the thread-pool round trips of
 * copyFile + lutimes cost several times the copy itself (10,000 small files: 0.8 s async).
 */
const SMALL_COPY = 256 * 1024;

/** Copies a file, symlink or device to a `dest` that does not exist, then sets owner, mode and mtime. */
async function copyLeaf(st: SourceStat, src: string, dest: string, how: LeafHow, count: CopyCount): Promise<void> {
  if ((st.isFile() && st.size <= SMALL_COPY) || st.isSymbolicLink()) return copySmallSync(st, src, dest, how, count);
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
    if (how.chown) await lchown(dest, how.uid, how.gid);
  } else if (st.isFile()) {
    // copyFile gives the copy the source's mode (set-ID bits included); a chown clears those bits, so the
    // mode is set again after it.
    count.coming?.(Number(st.size));
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
    count.bytes += Number(st.size);
    if (how.chown) await lchown(dest, how.uid, how.gid);
    if (how.chown || how.chmod) await chmod(dest, how.mode);
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    await makeDevice(dest, st);
    await lchown(dest, how.uid, how.gid);
    await chmod(dest, how.mode);
  } else {
    // fifos and sockets are skipped, as BuildKit's copy (fsutil) skips them.
    return;
  }
  count.files++;
  await lutimes(dest, how.mtime, how.mtime);
}

/** copyLeaf for a small file or a symlink, every call synchronous. */
function copySmallSync(st: SourceStat, src: string, dest: string, how: LeafHow, count: CopyCount): void {
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dest);
    if (how.chown) lchownSync(dest, how.uid, how.gid);
  } else if (count.keep) {
    return copyKept(st, src, dest, how, count, count.keep);
  } else {
    copyFileSync(src, dest, constants.COPYFILE_FICLONE);
    count.bytes += Number(st.size);
    if (how.chown) lchownSync(dest, how.uid, how.gid);
    if (how.chown || how.chmod) chmodSync(dest, how.mode);
  }
  count.files++;
  lutimesSync(dest, how.mtime, how.mtime);
}

/**
 * Reads a small file whole, in one read when it still has the size the walk saw: that size plus one byte is
 * asked for, so getting exactly the size is the end. Otherwise (it changed since, or a filesystem reads
 * short) it reads on until a read gives nothing, as a kernel copy would.
 */
function readWhole(src: string, size: number): Buffer {
  const fd = openSync(src, 'r');
  try {
    let buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
      const got = readSync(fd, buf, n, buf.length - n, null);
      n += got;
      if (got === 0 || (got === n && n === size)) return buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

let umask: number | undefined;

/**
 * The process umask (every file this process creates is masked by it), read once from /proc: process.umask()
 * reads it by setting it to 0 and back, and a file the thread pool created meanwhile would escape it.
 */
function currentUmask(): number {
  if (umask === undefined) {
    // Unknown (no /proc): every bit counts as masked, so the mode is always set after the create.
    let status = '';
    try {
      status = readFileSync('/proc/self/status', 'utf8');
    } catch {
      // fall through to "unknown"
    }
    const m = /^Umask:\s*([0-7]+)$/m.exec(status);
    umask = m ? Number.parseInt(m[1]!, 8) : 0o777;
  }
  return umask;
}

/**
 * Whether a file created with mode & 0o777 needs a chmod to get `how.mode`: when the umask or set-ID bits would
 * change it, or after a chown (which clears set-ID bits).
 */
function chmodAfterCreate(how: LeafHow): boolean {
  return how.chown || (how.mode & ~0o777) !== 0 || (how.mode & currentUmask()) !== 0;
}

/**
 * copySmallSync through memory: the content is read, written with calls on the new file's descriptor, and
 * offered to `keep` (the layer writer takes it from there instead of reading the copy back). The file gets the
 * source's mode as copyFile gives it (an fchmod only when the umask or set-ID bits would change it); a chown
 * clears set-ID bits, so the mode is set after it.
 */
function copyKept(st: SourceStat, src: string, dest: string, how: LeafHow, count: CopyCount, keep: (dest: string, data: Buffer) => void): void {
  const data = readWhole(src, Number(st.size));
  // Created with its final mode when the umask leaves that whole (0644 under 022): no fchmod then.
  const fd = openSync(dest, 'wx', how.mode & 0o777);
  try {
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
    if (how.chown) fchownSync(fd, how.uid, how.gid);
    if (chmodAfterCreate(how)) fchmodSync(fd, how.mode);
    futimesSync(fd, how.mtime, how.mtime);
  } finally {
    closeSync(fd);
  }
  count.bytes += data.length;
  count.files++;
  keep(dest, data);
}

/**
 * Creates `dir` and its missing parents inside `rootfs`, owned by uid:gid (BuildKit's mkdir -p for a COPY
 * destination or WORKDIR). Links are followed as the container would see them, never out of the rootfs.
 * Returns the directory's host path.
 */
export async function mkdirOwned(rootfs: string, dir: string, uid: number, gid: number, mode = 0o755): Promise<string> {
  const host = await resolveInRoot(rootfs, dir);
  let cur = rootfs;
  for (const p of path.relative(rootfs, host).split('/').filter(Boolean)) {
    cur = path.join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) await rm(cur, { force: true });
    await mkdir(cur, { mode });
    await chmod(cur, mode);
    await lchown(cur, uid, gid);
  }
  return host;
}
