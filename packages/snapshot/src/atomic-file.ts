import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errCode } from './errors.js';

// Metadata files are a few hundred bytes on a local filesystem: open/write/link/unlink are done with sync
// calls (a thread-pool round trip costs more than the syscall), while fsync, which may wait for a disk,
// still runs off the event loop.

/** fsync an open descriptor on the thread pool. */
function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/** fsync a directory so a rename or link inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes data to a temp file beside `file` and fsyncs it; returns the temp path. */
async function writeTemp(file: string, data: string | Buffer): Promise<string> {
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}-${randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeFileSync(fd, data);
    await fsyncFd(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  return tmp;
}

/** temp → fsync → rename → fsync dir: `file` holds either the old or the new bytes, never a mix. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * Like writeFileAtomic but fails (returns false) when `file` already exists: link(2) of the synced temp file
 * never replaces, so two processes racing to create the same record cannot both win. `syncDir` false leaves
 * the directory's fsync to the caller (who has more to change in it first).
 */
export async function createFileAtomic(file: string, data: string | Buffer, syncDir = true): Promise<boolean> {
  const tmp = await writeTemp(file, data);
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if (errCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  if (syncDir) await fsyncDir(path.dirname(file));
  return true;
}
