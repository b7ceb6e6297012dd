import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { cleanPath } from './clean.js';

/**
 * Parse .dockerignore text as BuildKit's ignorefile.ReadAll does: a UTF-8 BOM is dropped, lines starting with
 * `#` are comments (only at column 0), blank lines are skipped, each pattern is trimmed and cleaned, and a
 * leading `/` is removed so `/foo` means the context's `foo` (the `!` prefix is kept in front).
 */
export function parseIgnoreFile(text: string): string[] {
  const out: string[] = [];
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#')) continue;
    let pattern = raw.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? '!' + pattern : pattern);
  }
  return out;
}

/** The ignore patterns of a context and the file they came from (undefined when there is none). */
export interface IgnoreFile {
  patterns: string[];
  file?: string;
}

/**
 * Load the ignore file BuildKit would use: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the
 * context's `.dockerignore`. Without either, the context's `.containerignore` (buildah's and podman's name).
 */
export async function loadIgnoreFile(contextDir: string, dockerfilePath?: string): Promise<IgnoreFile> {
  const candidates: string[] = [];
  if (dockerfilePath !== undefined) candidates.push(path.resolve(contextDir, dockerfilePath) + '.dockerignore');
  candidates.push(path.join(contextDir, '.dockerignore'), path.join(contextDir, '.containerignore'));
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    return { patterns: parseIgnoreFile(text), file };
  }
  return { patterns: [] };
}
