import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A scratch directory under the store's tmp, named as the builder names its own (`kind-pid-`), so that a
 * killed command's is removed by the next build (reapStale).
 */
async function scratch(tmpDir: string, kind: 'stdin' | 'output'): Promise<string> {
  await mkdir(tmpDir, { recursive: true });
  return mkdtemp(path.join(tmpDir, `${kind}-${process.pid}-`));
}

/** Runs `use` on standard input saved to a scratch file (`docker load < x.tar`: archives are read by seeking). */
export async function withStdinFile<T>(tmpDir: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await scratch(tmpDir, 'stdin');
  try {
    const file = path.join(dir, 'input');
    await pipeline(process.stdin, createWriteStream(file));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Makes a file with `make` in a scratch directory, then copies it to standard output (`docker save x > x.tar`):
 * a failure midway sends nothing rather than half an archive.
 */
export async function viaStdout(tmpDir: string, make: (file: string) => Promise<void>): Promise<void> {
  const dir = await scratch(tmpDir, 'output');
  try {
    const file = path.join(dir, 'out.tar');
    await make(file);
    await pipeline(createReadStream(file), process.stdout, { end: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
