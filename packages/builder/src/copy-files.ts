import { constants } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { PatternMatcher } from '@strata/context';
import { resolveInRoot } from '@strata/executor';
import type { SourceTree } from './source-tree.js';

/** How copied entries are owned and moded; undefined fields keep the source's. */
export interface CopyAttrs {
  uid?: number;
  gid?: number;
  /** --chmod: applied to every copied file and directory. */
  mode?: number;
  /** Clamp for mtimes (SOURCE_DATE_EPOCH), in seconds. */
  epoch?: number;
}

/** What a copy did. */
export interface CopyCount {
  files: number;
  bytes: number;
}

/**
 * Copies one source path (a file, link, special file or a whole directory) from `tree` to the absolute host
 * path `dest`, as BuildKit's copy does: directories merged into existing ones, files replaced, symlinks copied
 * as links, mtimes kept, owner and mode from `attrs` where given. `exclude` filters paths below the source.
 */
export async function copyEntry(tree: SourceTree, rel: string, dest: string, attrs: CopyAttrs, count: CopyCount, exclude?: PatternMatcher, inSource = ''): Promise<void> {
  const st = (await tree.stat(rel))!;
  const src = tree.abs(rel);
  const uid = attrs.uid ?? Number(st.uid);
  const gid = attrs.gid ?? Number(st.gid);
  const mode = attrs.mode ?? Number(st.mode & 0o7777n);
  const mtimeS = Number(st.mtimeNs / 1000n) / 1e6;
  const mtime = attrs.epoch !== undefined ? Math.min(mtimeS, attrs.epoch) : mtimeS;
  if (st.isDirectory()) {
    const existing = await lstat(dest).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(dest, { force: true });
    if (!existing?.isDirectory()) await mkdir(dest);
    const names = await tree.children(rel);
    const queue = [...names];
    // A few entries at once: file creation dominates, and the kernel overlaps it across inodes.
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        const childIn = inSource === '' ? n : `${inSource}/${n}`;
        if (exclude?.excludes(childIn)) continue;
        await copyEntry(tree, rel === '.' ? n : `${rel}/${n}`, path.join(dest, n), attrs, count, exclude, childIn);
      }
    }));
    await lchown(dest, uid, gid);
    await chmod(dest, mode);
    await utimes(dest, mtime, mtime);
    return;
  }
  await rm(dest, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
  } else if (st.isFile()) {
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
    count.bytes += Number(st.size);
    await chmod(dest, mode);
  } else {
    // fifos and devices: Node cannot mknod; a context never holds devices and a stage rarely does.
    return;
  }
  count.files++;
  await lchown(dest, uid, gid);
  await lutimes(dest, mtime, mtime);
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
