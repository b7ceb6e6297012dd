import type { StoredPreImage } from './explain.js';
import type { PreImage } from './keys.js';

/** What the cache keeps for a finished op: the builder's state handle (a layer/snapshot) and layer facts. */
export interface CacheRecord<S> {
  state: S;
  /** The op changed nothing on disk (e.g. WORKDIR of an existing directory): its history entry is empty_layer. */
  emptyLayer?: boolean;
}

/** The cache as the solver sees it; the builder persists it (state.db), tests use MemoryCacheIndex. */
export interface CacheIndex<S> {
  /** The record stored under a key, if any. */
  get(key: string): Promise<CacheRecord<S> | undefined>;
  /** Store a record with the pre-image that produced its key, under the op's slot (for explanations). */
  put(key: string, record: CacheRecord<S>, preImage: PreImage, slot: string): Promise<void>;
  /** Stored pre-images of the same step: those of `slot` and those with the same parent key, newest first. */
  nearest(slot: string, parentKey: string | null): Promise<StoredPreImage[]>;
}

/** An in-memory CacheIndex (tests; a build without a state root). */
export class MemoryCacheIndex<S> implements CacheIndex<S> {
  private readonly records = new Map<string, { record: CacheRecord<S>; preImage: PreImage; slot: string; seq: number }>();
  private seq = 0;

  /** The record under `key`. */
  async get(key: string): Promise<CacheRecord<S> | undefined> {
    return this.records.get(key)?.record;
  }

  /** Store (or replace) a record with its pre-image and slot. */
  async put(key: string, record: CacheRecord<S>, preImage: PreImage, slot: string): Promise<void> {
    this.records.set(key, { record, preImage, slot, seq: this.seq++ });
  }

  /** Pre-images of the slot or with the same parent, newest first. */
  async nearest(slot: string, parentKey: string | null): Promise<StoredPreImage[]> {
    return [...this.records]
      .filter(([, r]) => r.slot === slot || (parentKey !== null && r.preImage.parent === parentKey))
      .sort(([, a], [, b]) => b.seq - a.seq)
      .map(([key, r]) => ({ key, preImage: r.preImage }));
  }

  /** Forget a key (tests of a pruned cache). */
  delete(key: string): boolean {
    return this.records.delete(key);
  }

  /** Number of records. */
  get size(): number {
    return this.records.size;
  }
}
