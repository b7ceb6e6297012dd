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
    const e = await this.local.get(key);
    if (!e) return this.getRemote(key);
    for (const l of e.state.layers) {
      if (!(await this.cs.has(l.digest)) && !(await this.remote?.provide([l]))) {
        this.warn(`cache record ${key.slice(7, 19)}: layer ${l.digest} is missing from the store; rebuilding the step`);
        return undefined;
      }
    }
    await this.local.touch(e.slot, key);
    return { state: e.state, emptyLayer: e.emptyLayer };
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
    return (await this.local.bySlot(slot)).map((e) => ({ key: e.key, preImage: e.preImage as unknown as PreImage }));
  }
}
