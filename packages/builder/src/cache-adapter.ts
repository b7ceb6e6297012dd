import type { ContentStore } from '@strata/oci';
import type { CacheIndex, CacheRecord, PreImage, StoredPreImage } from '@strata/planner';
import { LocalCacheIndex, type LayerChain } from '@strata/cache';
import type { RemoteSources } from './remote-cache.js';

/** Warnings the cache gives while building (a record whose blob is gone is a miss, never a wrong image). */
export type CacheWarn = (message: string) => void;

/**
 * The planner's CacheIndex over the local cache index, checking that every blob a record names is still
 * stored (or, with `--cache-from`, fetchable). On a local miss the remote sources are probed in order; a
 * remote hit is recorded locally and its blobs are fetched only when read.
 */
export class BuildCache implements CacheIndex<LayerChain> {
  readonly local: LocalCacheIndex;
  constructor(root: string, private readonly cs: ContentStore, private readonly warn: CacheWarn = () => {}, private readonly remote?: RemoteSources) {
    this.local = new LocalCacheIndex(root);
  }

  async get(key: string): Promise<CacheRecord<LayerChain> | undefined> {
    // A hit needs the result only, not the pre-image (half a megabyte for a 10,000-file COPY).
    const e = await this.local.peek(key);
    if (!e) return this.getRemote(key);
    // Step k's chain repeats the k-1 layers below it: each blob is checked once per build, the new ones at once.
    const [missing] = await Promise.all([this.firstMissing(e.state.layers), this.local.touch(e.slot, key)]);
    if (missing !== undefined) {
      this.warn(`cache record ${key.slice(7, 19)}: layer ${missing} is missing from the store; rebuilding the step`);
      return undefined;
    }
    return { state: e.state, emptyLayer: e.emptyLayer };
  }

  /**
   * Blobs seen present earlier in this build. Checking again per step would prove no more: the check is a
   * point in time either way, and the output's blobs are read (and verified) when the image is written.
   */
  private readonly present = new Set<string>();

  private async firstMissing(layers: LayerChain['layers']): Promise<string | undefined> {
    const todo = layers.filter((l) => !this.present.has(l.digest));
    const ok = await Promise.all(todo.map(async (l) => (await this.cs.has(l.digest)) || (await this.remote?.provide([l])) === true));
    todo.forEach((l, i) => ok[i] && this.present.add(l.digest));
    return todo.find((_, i) => !ok[i])?.digest;
  }

  private async getRemote(key: string): Promise<CacheRecord<LayerChain> | undefined> {
    if (!this.remote?.active) return undefined;
    const e = await this.remote.lookup(key);
    if (!e) return undefined;
    await this.local.put(e);
    return { state: e.state, emptyLayer: e.emptyLayer };
  }

  /** Forgets a local record (its remote blob turned out bad: the next solve runs the step). */
  async forget(key: string): Promise<void> {
    await this.local.delete(key);
  }

  async put(key: string, record: CacheRecord<LayerChain>, preImage: PreImage, slot: string): Promise<void> {
    await this.local.put({
      v: 1, key, state: record.state, emptyLayer: record.emptyLayer ?? false,
      preImage: preImage as unknown as Record<string, unknown>, slot, created: new Date().toISOString(),
    });
  }

  async nearest(slot: string): Promise<StoredPreImage[]> {
    // The most recently used entries of the step's position: a slot gains one entry per change, and each is
    // read and compared in full (a 10,000-file COPY's entry is half a megabyte).
    const local = (await this.local.bySlot(slot, NEAREST_CANDIDATES)).map((e) => ({ key: e.key, preImage: e.preImage as unknown as PreImage }));
    // With --cache-from, a step this runner never built is explained against what the sources hold for it.
    const seen = new Set(local.map((p) => p.key));
    const remote = (await this.remote?.nearest(slot)) ?? [];
    return [...local, ...remote.filter((p) => !seen.has(p.key)).map((p) => ({ key: p.key, preImage: p.preImage as unknown as PreImage }))];
  }
}

/** How many of a slot's entries a miss is explained against. */
const NEAREST_CANDIDATES = 4;
