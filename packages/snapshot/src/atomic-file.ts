import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errCode } from './errors.js';

/** fsync a directory so a rename or link inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes data to a temp file beside `file` and fsyncs it; returns the temp path. */
async function writeTemp(file: string, data: string | Buffer): Promise<string> {
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}-${randomBytes(6).toString('hex')}`);
  const fh = await fs.open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** temp → fsync → rename → fsync dir: `file` holds either the old or the new bytes, never a mix. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * Like writeFileAtomic but fails (returns false) when `file` already exists: link(2) of the synced temp file
 * never replaces, so two processes racing to create the same record cannot both win.
 */
export async function createFileAtomic(file: string, data: string | Buffer): Promise<boolean> {
  const tmp = await writeTemp(file, data);
  try {
    await fs.link(tmp, file);
  } catch (e) {
    if (errCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await fsyncDir(path.dirname(file));
  return true;
}
