import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { scratchName } from './stale.js';

/** A fresh scratch directory under `tmpDir`, named `kind-<pid>-…` so that a killed process's is reaped (reapStale). */
async function scratchDir(tmpDir: string, kind: 'stdin' | 'output'): Promise<string> {
  await mkdir(tmpDir, { recursive: true });
  return mkdtemp(path.join(tmpDir, scratchName(kind)));
}

/** Runs `use` on `input` saved to a scratch file (`docker load < x.tar`: archives are read by seeking), removed after. */
export async function withSpooledInput<T>(input: Readable, tmpDir: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await scratchDir(tmpDir, 'stdin');
  try {
    const file = path.join(dir, 'input');
    await pipeline(input, createWriteStream(file));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Makes a file with `make` in a scratch directory, then copies it to `out`, which is left open (`-o -`,
 * `docker save x > x.tar`): a failure midway sends nothing rather than half an archive that looks complete.
 */
export async function viaScratchFile(tmpDir: string, make: (file: string) => Promise<void>, out: Writable): Promise<void> {
  const dir = await scratchDir(tmpDir, 'output');
  try {
    const file = path.join(dir, 'out.tar');
    await make(file);
    await pipeline(createReadStream(file), out, { end: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
