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
