import type { Digest } from '@strata/oci';
import type { CacheBackend } from './backend.js';
import { isCacheEntry, type CacheEntry } from './record.js';

/** When a bundle was written, from its name (`yyyymmddhhmmss-…`, UTC). */
function bundleTime(name: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-/.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : 0;
}

/** What a remote prune did. */
export interface RemotePruneResult {
  entries: number;
  kept: number;
  blobs: number;
  bytes: number;
}

/**
 * Removes remote entries not hit (nor written) for `olderThanMs` (all when undefined), then the blobs that
 * only removed entries named. A blob a remaining entry names is kept; a concurrent export that reuses a blob
 * this deletes makes an entry whose blob is missing, which readers treat as a miss with a warning.
 */
export async function pruneRemote(backend: CacheBackend, olderThanMs?: number, now = Date.now()): Promise<RemotePruneResult> {
  const keys = await backend.listEntries();
  const hits = await backend.lastHits();
  const gone: CacheEntry[] = [];
  const kept: CacheEntry[] = [];
  for (const key of keys) {
    const bytes = await backend.readEntry(key);
    let e: unknown;
    try {
      e = bytes === undefined ? undefined : JSON.parse(bytes.toString('utf8'));
    } catch {
      e = undefined;
    }
    if (!isCacheEntry(e)) {
      await backend.deleteEntry(key);
      continue;
    }
    const used = Math.max(hits.get(key) ?? 0, Date.parse(e.created) || 0);
    (olderThanMs === undefined || now - used > olderThanMs ? gone : kept).push(e);
  }
  for (const e of gone) await backend.deleteEntry(e.key);
  await backend.pruneHits(olderThanMs === undefined ? Infinity : now - olderThanMs);
  // Bundles are hints for importers: one older than the cutoff goes (its live entries stay readable one by one).
  for (const name of await backend.listBundles()) {
    if (olderThanMs === undefined || bundleTime(name) < now - olderThanMs) await backend.deleteBundle(name);
  }
  const keep = new Set<string>();
  for (const e of kept) for (const l of e.state.layers) keep.add(l.digest);
  const res: RemotePruneResult = { entries: gone.length, kept: kept.length, blobs: 0, bytes: 0 };
  const candidates = new Map<string, number>();
  for (const e of gone) for (const l of e.state.layers) if (!keep.has(l.digest)) candidates.set(l.digest, l.size);
  for (const [d, size] of candidates) {
    if (await backend.hasBlob(d as Digest) && (await backend.deleteBlob(d as Digest))) {
      res.blobs++;
      res.bytes += size;
    }
  }
  return res;
}
