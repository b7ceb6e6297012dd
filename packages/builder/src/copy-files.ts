import { execFile } from 'node:child_process';
import { chmodSync, constants, copyFileSync, lchownSync, lutimesSync, readlinkSync, symlinkSync } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { PatternMatcher } from '@strata/context';
import { resolveInRoot } from '@strata/executor';
import type { SourceStat, SourceTree } from './source-tree.js';

/** How copied entries are owned and moded; undefined fields keep the source's. */
export interface CopyAttrs {
  uid?: number;
  gid?: number;
  /** --chmod: applied to every copied file and directory. */
  mode?: number;
  /** Clamp for mtimes (SOURCE_DATE_EPOCH), in seconds. */
  epoch?: number;
}

/** What a copy did; `inodes` maps a source file with several links to its first copy, so links stay links. */
export interface CopyCount {
  files: number;
  bytes: number;
  inodes?: Map<string, Promise<string>>;
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
 * process gets there, so neither a removal nor a chown that changes nothing is needed. `emptyDest` says
 * `dest` is a directory the caller just made (a COPY destination): its entries are fresh too.
 */
export async function copyEntry(tree: SourceTree, rel: string, dest: string, attrs: CopyAttrs, count: CopyCount, exclude?: PatternMatcher, inSource = '', fresh?: { uid: number; gid: number }, emptyDest = false): Promise<void> {
  const st = (await tree.stat(rel))!;
  const src = tree.abs(rel);
  const uid = attrs.uid ?? Number(st.uid);
  const gid = attrs.gid ?? Number(st.gid);
  const mode = attrs.mode ?? Number(st.mode & 0o7777n);
  const mtimeS = Number(st.mtimeNs / 1000n) / 1e6;
  const mtime = attrs.epoch !== undefined ? Math.min(mtimeS, attrs.epoch) : mtimeS;
  if (st.isDirectory()) {
    const existing = fresh ? undefined : await lstat(dest).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(dest, { force: true });
    if (!existing?.isDirectory()) await mkdir(dest);
    const here = creatorOf(await lstat(dest));
    // Entries of a directory made here need no removal first, and no chown when the owner is already right
    // (for a 10,000-file COPY into a new directory that was an rm, a chown and a chmod per file).
    const childFresh = !existing?.isDirectory() || emptyDest ? here : undefined;
    const names = await tree.children(rel);
    const queue = [...names];
    // A few entries at once: file creation dominates, and the kernel overlaps it across inodes. On a failure
    // every worker is let finish first, so that nothing still writes when the caller unmounts.
    let failed = false;
    const settled = await Promise.allSettled(Array.from({ length: Math.min(8, queue.length) }, async () => {
      for (let n = queue.shift(); n !== undefined && !failed; n = queue.shift()) {
        const childIn = inSource === '' ? n : `${inSource}/${n}`;
        if (exclude?.excludes(childIn)) continue;
        await copyEntry(tree, rel === '.' ? n : `${rel}/${n}`, path.join(dest, n), attrs, count, exclude, childIn, childFresh)
          .catch((e: unknown) => { failed = true; throw e; });
      }
    }));
    const err = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (err) throw err.reason;
    await lchown(dest, uid, gid);
    await chmod(dest, mode);
    await utimes(dest, mtime, mtime);
    return;
  }
  if (!fresh) await rm(dest, { recursive: true, force: true });
  const how = { uid, gid, mode, mtime, chown: !fresh || fresh.uid !== uid || fresh.gid !== gid, chmod: attrs.mode !== undefined };
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
 * Files up to this size are copied with sync calls: for a small file the thread-pool round trips of
 * copyFile + lutimes cost several times the copy itself (10,000 small files: 0.8 s async).
 */
const SMALL_COPY = 256 * 1024;

/** Copies a file, symlink or device to a `dest` that does not exist, then sets owner, mode and mtime. */
async function copyLeaf(st: SourceStat, src: string, dest: string, how: { uid: number; gid: number; mode: number; mtime: number; chown: boolean; chmod: boolean }, count: CopyCount): Promise<void> {
  if ((st.isFile() && st.size <= SMALL_COPY) || st.isSymbolicLink()) return copySmallSync(st, src, dest, how, count);
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
    if (how.chown) await lchown(dest, how.uid, how.gid);
  } else if (st.isFile()) {
    // copyFile gives the copy the source's mode (set-ID bits included); a chown clears those bits, so the
    // mode is set again after it.
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
function copySmallSync(st: SourceStat, src: string, dest: string, how: { uid: number; gid: number; mode: number; mtime: number; chown: boolean; chmod: boolean }, count: CopyCount): void {
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dest);
    if (how.chown) lchownSync(dest, how.uid, how.gid);
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
