import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { LocalCacheIndex, type CacheEntry } from '@strata/cache';
import { LocalStore, defaultStateRoot, type Digest } from '@strata/oci';

/** One line of `strata cache ls`. */
export interface CacheListing {
  key: string;
  slot: string;
  created: string;
  lastUsed?: string;
  layers: number;
  /** Compressed size of the step's own (top) layer, 0 for an empty layer. */
  size: number;
  emptyLayer: boolean;
}

/** Every local cache entry, oldest first. */
export async function cacheList(root = defaultStateRoot()): Promise<CacheListing[]> {
  const idx = new LocalCacheIndex(root);
  const out: CacheListing[] = [];
  for (const e of await idx.list()) {
    const used = await idx.lastUsed(e);
    const top = e.state.layers[e.state.layers.length - 1];
    out.push({
      key: e.key, slot: e.slot, created: e.created, layers: e.state.layers.length, emptyLayer: e.emptyLayer,
      size: e.emptyLayer || !top ? 0 : top.size, ...(used !== undefined ? { lastUsed: new Date(used).toISOString() } : {}),
    });
  }
  return out;
}

/** What a prune did. */
export interface PruneResult {
  entries: number;
  blobs: number;
  bytes: number;
}

/**
 * Removes cache entries not used for `olderThanMs` (all when undefined), then deletes the layer blobs that
 * only removed entries referred to — never a blob of a named image or of a remaining entry.
 */
export async function cachePrune(root = defaultStateRoot(), olderThanMs?: number): Promise<PruneResult> {
  const idx = new LocalCacheIndex(root);
  const now = Date.now();
  const all = await idx.list();
  const gone: CacheEntry[] = [];
  const kept: CacheEntry[] = [];
  for (const e of all) {
    const used = (await idx.lastUsed(e)) ?? Date.parse(e.created);
    (olderThanMs === undefined || now - used > olderThanMs ? gone : kept).push(e);
  }
  for (const e of gone) await idx.delete(e.key);
  const store = new LocalStore(root);
  try {
    const keep = new Set<string>();
    for (const e of kept) for (const l of e.state.layers) keep.add(l.digest);
    for (const r of store.names.list()) {
      try {
        const m = await (await store.image(r.name)).manifest();
        for (const l of m.layers) keep.add(l.digest);
      } catch {
        // an image that cannot be read keeps nothing alive; fsck reports it
      }
    }
    const res: PruneResult = { entries: gone.length, blobs: 0, bytes: 0 };
    const candidates = new Map<Digest, number>();
    for (const e of gone) for (const l of e.state.layers) if (!keep.has(l.digest)) candidates.set(l.digest, l.size);
    for (const [d, size] of candidates) {
      if (await store.content.delete(d)) {
        res.blobs++;
        res.bytes += size;
      }
      // The gzipped twin a remote export made of this layer (cache/wire/<hex>.json) goes with it.
      const twinFile = path.join(root, 'cache', 'wire', `${d.slice(7)}.json`);
      const twin = await readFile(twinFile, 'utf8').then((t) => JSON.parse(t) as { digest?: Digest; size?: number }, () => undefined);
      if (twin?.digest && !keep.has(twin.digest) && (await store.content.delete(twin.digest))) {
        res.blobs++;
        res.bytes += twin.size ?? 0;
      }
      await rm(twinFile, { force: true });
    }
    return res;
  } finally {
    store.close();
  }
}

/** Parses `7d`, `12h`, `30m`, `45s` into milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(s.trim());
  if (!m) throw new Error(`invalid duration "${s}": want e.g. 30m, 12h, 7d`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 'ms']!;
}
