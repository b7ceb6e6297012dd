import fs from 'node:fs';
import path from 'node:path';
import { errCode } from './errors.js';

/**
 * A cross-process lock: mkdir is atomic, and the owner's pid inside lets a later process break the lock of
 * one that died holding it. Held only around short metadata updates, never across a build step.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  // Callers in this process queue here instead of polling the lock dir: a poll sleeps up to 50 ms after
  // the holder is done, and parallel build stages take this lock for every snapshot they create and commit.
  const prev = queues.get(lockDir) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => { release = r; });
  const tail = prev.then(() => mine);
  queues.set(lockDir, tail);
  await prev;
  try {
    return await withDirLock(lockDir, fn, timeoutMs);
  } finally {
    release();
    if (queues.get(lockDir) === tail) queues.delete(lockDir);
  }
}

/** The last waiter per lock dir of this process. */
const queues = new Map<string, Promise<void>>();

async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const start = Date.now();
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      // Sync: two tiny metadata calls, taken around every snapshot create and commit.
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
      if (await ownerDead(lockDir)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for lock ${lockDir}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

async function ownerDead(lockDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
  } catch {
    // The owner may be between mkdir and writing its pid; only a lock dir older than 5 s without one is stale.
    const st = fs.statSync(lockDir, { throwIfNoEntry: false });
    return st !== undefined && Date.now() - st.mtimeMs > 5000;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return errCode(e) === 'ESRCH';
  }
}
