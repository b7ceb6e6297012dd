import zlib from 'node:zlib';
import type { Descriptor, Digest } from '@strata/oci';

/** One layer of a cached result: its blob descriptor and the digest of its uncompressed tar. */
export interface LayerRef extends Descriptor {
  diffId: Digest;
}

/** What a cached build step produced: the whole layer chain of its root filesystem. */
export interface LayerChain {
  layers: LayerRef[];
  /** When the step that made this chain ran (ISO 8601): history times survive cache hits, so digests do too. */
  created?: string;
}

/**
 * A cache entry (DESIGN §3): the step's result, the pre-image its key was hashed from (kept so a later miss
 * can be explained) and the step's slot. Entries are immutable: a key's record is written once.
 */
export interface CacheEntry {
  /** Entry format version. */
  v: 1;
  key: string;
  state: LayerChain;
  emptyLayer: boolean;
  /** The key's pre-image: opaque here, the planner's PreImage. */
  preImage: { parent?: string | null } & Record<string, unknown>;
  slot: string;
  /** When the entry was written (ISO 8601). */
  created: string;
  /**
   * Only on the trip (never in the local index): small layer blobs carried inside the entry, by digest, so a
   * small step costs one request each way instead of a blob upload and download of its own. Each value is
   * the blob in base64, or `gzip:` and its gzip in base64 (an uncompressed tar: compressed for the trip only,
   * so the digest stays the tar's own and nothing is stored or remembered to travel).
   */
  inline?: Record<string, string>;
  /** Only on the trip: the export bundle that holds this entry and its siblings (one read answers them all). */
  bundle?: BundleRef;
}

/** Where an export bundle lives: its name (listing order = time order) and its blob. */
export interface BundleRef {
  name: string;
  digest: Digest;
  size: number;
}

/** The entry as the local index keeps it: without what only travels (inline blobs, its bundle). */
export function localForm(e: CacheEntry): CacheEntry {
  if (e.inline === undefined && e.bundle === undefined) return e;
  const { inline: _i, bundle: _b, ...rest } = e;
  void _i;
  void _b;
  return rest;
}

/** True when `v` has the shape of a CacheEntry (records come from disk and remote backends). */
export function isCacheEntry(v: unknown): v is CacheEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<CacheEntry>;
  return e.v === 1 && typeof e.key === 'string' && typeof e.slot === 'string' && typeof e.preImage === 'object'
    && typeof e.state === 'object' && e.state !== null && Array.isArray(e.state.layers);
}

/** A blob as an entry carries it inline (see CacheEntry.inline); `squeeze` for uncompressed tars. */
export function encodeInline(blob: Buffer, squeeze: boolean): string {
  return squeeze ? `gzip:${zlib.gzipSync(blob).toString('base64')}` : blob.toString('base64');
}

/** The blob an inline value holds (at most `size` bytes); throws on a malformed value. */
export function decodeInline(value: string, size: number): Buffer {
  if (!value.startsWith('gzip:')) return Buffer.from(value, 'base64');
  return zlib.gunzipSync(Buffer.from(value.slice(5), 'base64'), { maxOutputLength: Math.max(1, size) });
}
