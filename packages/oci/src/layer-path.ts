import { OciError } from './errors.js';

/** A path in a layer that is not safe to apply: escapes the root, holds NUL, or is otherwise malformed. */
export class UnsafePathError extends OciError {
  override name = 'UnsafePathError';
}

/**
 * Normalises a path from a tar or a change set: leading '/' and './' dropped, '.' and empty components
 * removed, '..' resolved lexically. A path that would climb above the root is rejected, never clamped,
 * because an archive that tries it is hostile. Returns '' for the root itself.
 */
export function normaliseLayerPath(p: string, where: string): string {
  if (p.includes('\0')) throw new UnsafePathError(`${where}: path contains a NUL byte`);
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw new UnsafePathError(`${where}: path ${JSON.stringify(p)} climbs out of the root`);
      out.pop();
      continue;
    }
    out.push(c);
  }
  return out.join('/');
}

/**
 * The order the tar writer requires: component by component, each compared by bytes — what a depth-first
 * walk with sorted directory listings yields (so "a/x" comes before "a.b"). Parents sort before children.
 */
export function comparePaths(a: string, b: string): number {
  // Mapping '/' to NUL (below every byte a name may hold) turns a byte comparison into a component-wise one.
  return Buffer.compare(Buffer.from(a.replaceAll('/', '\0'), 'utf8'), Buffer.from(b.replaceAll('/', '\0'), 'utf8'));
}

/** Prefix of a whiteout's base name in a tar (AUFS convention, adopted by OCI). */
export const WHITEOUT_PREFIX = '.wh.';
/** Base name of the opaque-directory marker in a tar. */
export const OPAQUE_MARKER = '.wh..wh..opq';
