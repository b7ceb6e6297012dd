import type { ContentStore, Descriptor, Digest } from '@strata/oci';
import { DigestMismatchError } from '@strata/oci';
import type { CacheBackend } from './backend.js';
import { RemoteBlobError, RemoteCacheError } from './errors.js';
import { isCacheEntry, type CacheEntry } from './record.js';

/** Bytes and requests a remote cache moved (what the tests and benchmarks count). */
export interface TransferStats {
  /** Entry documents fetched (hits) and probes that found nothing. */
  entriesRead: number;
  probes: number;
  /** Layer blobs downloaded and their bytes. */
  blobsDownloaded: number;
  bytesDownloaded: number;
}

/**
 * The read side of one remote cache: entries are probed one key at a time as the solver asks, and blobs are
 * fetched into the local content store only when the builder needs their bytes, verified on the way in.
 */
export class RemoteCache {
  readonly stats: TransferStats = { entriesRead: 0, probes: 0, blobsDownloaded: 0, bytesDownloaded: 0 };
  constructor(readonly backend: CacheBackend) {}

  get label(): string {
    return this.backend.label;
  }

  /** The entry of `key`, or undefined; a malformed or mislabelled document counts as absent. */
  async entry(key: string): Promise<CacheEntry | undefined> {
    this.stats.probes++;
    const bytes = await this.backend.readEntry(key);
    if (bytes === undefined) return undefined;
    let e: unknown;
    try {
      e = JSON.parse(bytes.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isCacheEntry(e) || e.key !== key) return undefined;
    this.stats.entriesRead++;
    return e;
  }

  /** True when the remote holds the blob. */
  has(digest: Digest): Promise<boolean> {
    return this.backend.hasBlob(digest);
  }

  /**
   * Downloads a blob into `cs`, checked against its digest and size before it becomes visible.
   * Throws RemoteBlobError when the remote lacks it or its bytes are wrong.
   */
  async fetch(desc: Descriptor, cs: ContentStore): Promise<void> {
    if (await cs.has(desc.digest)) return;
    let stream;
    try {
      stream = await this.backend.readBlob(desc);
    } catch (e) {
      throw new RemoteBlobError(`${this.label}: blob ${desc.digest} is missing (${(e as Error).message.split('\n')[0]})`, desc.digest);
    }
    try {
      await cs.put(stream, { digest: desc.digest, size: desc.size }, `${this.label}: blob ${desc.digest}`);
    } catch (e) {
      if (e instanceof DigestMismatchError) throw new RemoteBlobError(`${this.label}: blob ${desc.digest} is corrupt (${e.message.replace(/^.*: /, '')})`, desc.digest);
      throw new RemoteCacheError(`${this.label}: cannot download blob ${desc.digest}: ${(e as Error).message.split('\n')[0]}`);
    }
    this.stats.blobsDownloaded++;
    this.stats.bytesDownloaded += desc.size;
  }
}
