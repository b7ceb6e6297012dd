import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import type { Digest } from '@strata/oci';
import { isCacheEntry, type BundleRef, type CacheEntry } from './record.js';

/** Media type of an export bundle (the one layer of its artifact manifest on a registry): gzipped JSON. */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.strata.cache.bundle.v1+json+gzip';

/** Bundle names: `<UTC yyyymmddhhmmss>-<16 hex of the content>`, so a sorted listing is in time order. */
export const BUNDLE_NAME_RE = /^\d{14}-[a-f0-9]{16}$/;

/**
 * An export bundle: every entry one export wrote, in one document. An importer that hits one of them reads the
 * bundle once and answers the build's next probes from it instead of one round trip per step; a miss is
 * explained from the newest bundles' pre-images of the same step. Bundles are hints: a reader that cannot
 * get one falls back to the entries themselves.
 */
export function encodeBundle(entries: readonly CacheEntry[]): Buffer {
  // Gzipped: entries repeat their chains' digests, so a bundle shrinks to a fraction (small, so in one call).
  return zlib.gzipSync(JSON.stringify({ v: 1, entries }));
}

/** The entries of a bundle document (malformed ones dropped; a malformed document holds none). */
export function parseBundle(bytes: Buffer): CacheEntry[] {
  try {
    const v = JSON.parse(zlib.gunzipSync(bytes, { maxOutputLength: 512 << 20 }).toString('utf8')) as { v?: unknown; entries?: unknown };
    return v.v === 1 && Array.isArray(v.entries) ? v.entries.filter(isCacheEntry) : [];
  } catch {
    return [];
  }
}

/** The ref of a bundle written at `when`: its name and its content's digest. */
export function bundleRef(when: Date, bytes: Buffer): BundleRef {
  const stamp = when.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { name: `${stamp}-${hex.slice(0, 16)}`, digest: `sha256:${hex}` as Digest, size: bytes.length };
}
