import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh temp directory removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<[string, () => Promise<void>]> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return [dir, () => rm(dir, { recursive: true, force: true })];
}

/** Create files (content strings) and directories (trailing slash) under `root`. */
export async function makeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    if (rel.endsWith('/')) {
      await mkdir(p, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  }
}

/**
 * Mocha hooks for a test of the stat index or tree memo: before each test a fresh context dir holding `files`
 * and a fresh state root (read them through the returned getters), removed after it. The clock moves on 5 ms
 * after the files are made: with a zero racy window, a change in the millisecond of the hashing would still
 * count as racy (the hashing time is taken in whole milliseconds).
 */
export function contextFixture(files: Record<string, string>): { readonly ctxDir: string; readonly stateRoot: string } {
  const dirs = { ctxDir: '', stateRoot: '' };
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    let c: () => Promise<void>;
    [dirs.ctxDir, c] = await tempDir('strata-ctx-');
    cleanups.push(c);
    [dirs.stateRoot, c] = await tempDir('strata-root-');
    cleanups.push(c);
    await makeTree(dirs.ctxDir, files);
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  return dirs;
}
