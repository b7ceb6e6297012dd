import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { chmod, chown, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ExecutorError, StepAbortedError } from './errors.js';

/** How concurrent steps share one cache id (BuildKit's `sharing=`). */
export type CacheSharing = 'shared' | 'private' | 'locked';

/** A cache directory held by one step; `release` drops its lock. */
export interface HeldCacheDir {
  dir: string;
  release(): Promise<void>;
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** Takes `<dir>.lock` (O_EXCL, holding our pid); a lock whose process is gone is broken. */
async function tryLock(dir: string): Promise<(() => Promise<void>) | undefined> {
  const file = `${dir}.lock`;
  for (let i = 0; i < 2; i++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => { await rm(file, { force: true }); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(await readFile(file, 'utf8').catch(() => ''));
      if (pid && alive(pid)) return undefined;
      await rm(file, { force: true });
    }
  }
  return undefined;
}

/**
 * Creates the cache dir once, atomically, with its owner and mode (later runs keep what is there), seeded
 * with a copy of `seed` when given (`from=`). cp -a because it keeps owners, modes, links and xattrs.
 */
async function ensureDir(dir: string, uid: number, gid: number, mode: number, seed?: string): Promise<void> {
  if (await stat(dir).catch(() => null)) return;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  if (seed) {
    await promisify(execFile)('cp', ['-a', '--', `${seed}/.`, tmp]).catch(async (e: Error) => {
      await rm(tmp, { recursive: true, force: true });
      throw new ExecutorError(`cannot seed cache from ${seed}: ${e.message.split('\n')[0]}`);
    });
  }
  await chown(tmp, uid, gid);
  await chmod(tmp, mode);
  try {
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

/**
 * Opens the persistent cache dir for `id` under `<stateRoot>/cache-mounts/`. `shared`: used by all at once;
 * `locked`: one step at a time, others wait; `private`: a step finding it busy gets its own instance.
 * A new dir starts as a copy of `seed` when given.
 */
export async function holdCacheDir(stateRoot: string, id: string, sharing: CacheSharing, owner: { uid: number; gid: number; mode: number }, signal?: AbortSignal, seed?: string): Promise<HeldCacheDir> {
  const base = path.join(stateRoot, 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
  await mkdir(path.dirname(base), { recursive: true });
  if (sharing === 'shared') {
    await ensureDir(base, owner.uid, owner.gid, owner.mode, seed);
    return { dir: base, release: async () => {} };
  }
  for (let n = 0; ; n++) {
    if (signal?.aborted) throw new StepAbortedError(`aborted while waiting for cache ${id}`);
    const dir = sharing === 'private' && n > 0 ? `${base}-${n}` : base;
    const unlock = await tryLock(dir);
    if (unlock) {
      await ensureDir(dir, owner.uid, owner.gid, owner.mode, seed);
      return { dir, release: unlock };
    }
    if (sharing === 'locked') {
      if (n > 60000) throw new ExecutorError(`cache ${id} stayed locked for 10 minutes`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
