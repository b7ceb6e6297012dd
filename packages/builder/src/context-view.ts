import { chmod, copyFile, lchown, link, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { BuildContext } from '@strata/context';
import { scratchName } from './stale.js';

/** A directory to mount for RUN --mount from the context, and how to let it go after the step. */
export interface ContextView {
  dir: string;
  release(): Promise<void>;
}

/**
 * What a RUN --mount of the context shows: exactly what the context's walk kept, as BuildKit shows the context
 * it was sent (.dockerignore applied). With no ignore patterns that is the directory itself. Otherwise it is
 * a tree made under `tmpDir` of the kept paths: directories made with their mode and owner, files hard-linked
 * (the same inode: mode and owner kept; copied where the context is on another filesystem), symlinks re-made
 * with their owner; fifos and devices are left out, as a context transfer leaves them. The scratch carries
 * this process's pid, so a killed build's view is removed by the next build (reapStale).
 */
export async function contextView(ctx: BuildContext, tmpDir: string): Promise<ContextView> {
  if (ctx.ignore.patterns.length === 0) return { dir: ctx.dir, release: async () => {} };
  await mkdir(tmpDir, { recursive: true });
  const root = await mkdtemp(path.join(tmpDir, scratchName('ctxview')));
  const release = () => rm(root, { recursive: true, force: true });
  try {
    // Parents before children.
    const depth = (p: string) => p.split('/').length;
    const dirs: Array<[string, number]> = [];
    for (const e of [...ctx.entries.values()].sort((a, b) => depth(a.path) - depth(b.path))) {
      if (e.path === '.') continue;
      const dest = path.join(root, e.path);
      if (e.type === 'dir') {
        // Made writable first, so that its entries can be made; its own mode is set when all are made.
        await mkdir(dest, { mode: 0o700 });
        await lchown(dest, e.uid, e.gid);
        dirs.push([dest, e.mode]);
      } else if (e.type === 'symlink') {
        await symlink(e.link ?? '', dest);
        await lchown(dest, e.uid, e.gid);
      } else if (e.type === 'file') {
        const src = path.join(ctx.dir, e.path);
        await link(src, dest).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EXDEV' && err.code !== 'EPERM') throw err;
          await copyFile(src, dest);
          await chmod(dest, e.mode);
          await lchown(dest, e.uid, e.gid);
        });
      }
    }
    for (const [d, mode] of dirs.reverse()) await chmod(d, mode);
    const top = ctx.entries.get('.');
    if (top) {
      await lchown(root, top.uid, top.gid);
      await chmod(root, top.mode);
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { dir: root, release };
}
