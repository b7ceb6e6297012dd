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
  // Below the surrogates (U+D800) UTF-16 code units order as UTF-8 bytes do, so most names compare without
  // being encoded: sorting a 10,000-file change set encoded two Buffers per comparison.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 || y >= 0xd800) return comparePathBytes(a, b);
    if (x === 0x2f) x = 0;
    if (y === 0x2f) y = 0;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** comparePaths by the UTF-8 bytes: mapping '/' to NUL (below every byte a name may hold) compares by component. */
export function comparePathBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a.replaceAll('/', '\0'), 'utf8'), Buffer.from(b.replaceAll('/', '\0'), 'utf8'));
}

/** Prefix of a whiteout's base name in a tar (AUFS convention, adopted by OCI). */
export const WHITEOUT_PREFIX = '.wh.';
/** Base name of the opaque-directory marker in a tar. */
export const OPAQUE_MARKER = '.wh..wh..opq';
