import { Readable } from 'node:stream';
import type { ContentStore, Descriptor, Digest } from '@strata/oci';
import { DigestMismatchError } from '@strata/oci';
import type { CacheBackend } from './backend.js';
import { parseBundle } from './bundle.js';
import { RemoteBlobError, RemoteCacheError } from './errors.js';
import { decodeInline, isCacheEntry, localForm, type BundleRef, type CacheEntry } from './record.js';

/** Bytes and requests a remote cache moved (what the tests and benchmarks count). */
export interface TransferStats {
  /** Entries found (hits) and keys asked for. */
  entriesRead: number;
  probes: number;
  /** Layer blobs brought into the store (downloaded, or taken from inside their entry) and the bytes that travelled for them. */
  blobsDownloaded: number;
  bytesDownloaded: number;
  /** Export bundles read (each answers the probes of every entry it holds). */
  bundlesRead: number;
}

/** How many of the newest bundles a miss explanation reads at most (besides those already read). */
const EXPLAIN_BUNDLES = 3;

/**
 * The read side of one remote cache. Keys are probed as the solver asks; the first probe also lists the
 * remote's keys, so a later key the remote lacks costs no request. A hit whose entry names its export bundle
 * brings that bundle in once, and the keys it holds are answered from memory: a fully cached build costs a
 * handful of requests, not one per step. Blobs are fetched into the local store only when the builder needs
 * their bytes (small ones came inside their entry), verified on the way in.
 */
export class RemoteCache {
  readonly stats: TransferStats = { entriesRead: 0, probes: 0, blobsDownloaded: 0, bytesDownloaded: 0, bundlesRead: 0 };
  private keys?: Promise<Set<string> | undefined>;
  private readonly known = new Map<string, CacheEntry>();
  private readonly bundles = new Map<string, Promise<void>>();
  private readonly inline = new Map<string, string>();
  private bundleNames?: Promise<string[]>;
  constructor(readonly backend: CacheBackend) {}

  get label(): string {
    return this.backend.label;
  }

  /**
   * Starts listing the remote's keys now (a build calls it at its start, so the listing overlaps parsing and
   * planning instead of waiting for the first probe). A failed listing only costs the shortcut; a backend
   * that is down shows in the reads after it.
   */
  warm(): void {
    this.keys ??= this.backend.listEntries().then((k) => new Set(k), () => undefined);
  }

  /** The entry of `key` (as the local index keeps it), or undefined; a malformed or mislabelled one is absent. */
  async entry(key: string): Promise<CacheEntry | undefined> {
    this.stats.probes++;
    const first = this.keys === undefined;
    this.warm();
    if (!first) {
      const keys = await this.keys;
      if (keys && !keys.has(key)) return undefined;
      await Promise.all(this.bundles.values());
      const e = this.known.get(key);
      if (e) {
        this.stats.entriesRead++;
        return localForm(e);
      }
    }
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
    this.take(e);
    // Not awaited: the next probe waits for it instead of asking for its own entry.
    if (e.bundle) void this.loadBundle(e.bundle);
    return localForm(e);
  }

  private take(e: CacheEntry): void {
    for (const [d, v] of Object.entries(e.inline ?? {})) if (!this.inline.has(d) && typeof v === 'string') this.inline.set(d, v);
  }

  /** Reads a bundle once; its entries answer later probes. A bundle that cannot be read is skipped. */
  private loadBundle(ref: BundleRef | string): Promise<void> {
    const name = typeof ref === 'string' ? ref : ref.name;
    let p = this.bundles.get(name);
    if (!p) {
      p = this.backend.readBundle(ref).then((bytes) => {
        if (!bytes) return;
        this.stats.bundlesRead++;
        for (const e of parseBundle(bytes)) {
          this.take(e);
          if (!this.known.has(e.key)) this.known.set(e.key, e);
        }
      }, () => {});
      this.bundles.set(name, p);
    }
    return p;
  }

  /**
   * Entries of `slot` the remote holds (for explaining a miss): from the bundles read so far and the newest
   * few others. Neither a failure nor a remote without bundles is an error: there is just less to compare.
   */
  async entriesOfSlot(slot: string): Promise<CacheEntry[]> {
    this.bundleNames ??= this.backend.listBundles().catch(() => []);
    const names = (await this.bundleNames).filter((n) => !this.bundles.has(n)).slice(-EXPLAIN_BUNDLES);
    await Promise.all([...names.map((n) => this.loadBundle(n)), ...this.bundles.values()]);
    const keys = await this.keys;
    return [...this.known.values()].filter((e) => e.slot === slot && (!keys || keys.has(e.key))).map(localForm);
  }

  /** True when the remote holds the blob (as a blob, or inside an entry read so far). */
  async has(digest: Digest): Promise<boolean> {
    return this.inline.has(digest) || this.backend.hasBlob(digest);
  }

  /** True when the blob came inside an entry: fetching it costs nothing. */
  carries(digest: string): boolean {
    return this.inline.has(digest);
  }

  /**
   * Brings a blob into `cs`, checked against its digest and size before it becomes visible.
   * Throws RemoteBlobError when the remote lacks it or its bytes are wrong.
   */
  async fetch(desc: Descriptor, cs: ContentStore): Promise<void> {
    if (await cs.has(desc.digest)) return;
    const carried = this.inline.get(desc.digest);
    let stream: Readable;
    if (carried !== undefined) {
      let bytes: Buffer;
      try {
        bytes = decodeInline(carried, desc.size);
      } catch (e) {
        throw new RemoteBlobError(`${this.label}: blob ${desc.digest} is corrupt (${(e as Error).message.split('\n')[0]})`, desc.digest);
      }
      stream = Readable.from([bytes]);
    } else {
      try {
        stream = await this.backend.readBlob(desc);
      } catch (e) {
        throw new RemoteBlobError(`${this.label}: blob ${desc.digest} is missing (${(e as Error).message.split('\n')[0]})`, desc.digest);
      }
    }
    try {
      await cs.put(stream, { digest: desc.digest, size: desc.size }, `${this.label}: blob ${desc.digest}`);
    } catch (e) {
      if (e instanceof DigestMismatchError) throw new RemoteBlobError(`${this.label}: blob ${desc.digest} is corrupt (${e.message.replace(/^.*: /, '')})`, desc.digest);
      throw new RemoteCacheError(`${this.label}: cannot download blob ${desc.digest}: ${(e as Error).message.split('\n')[0]}`);
    }
    this.stats.blobsDownloaded++;
    // A blob that came inside its entry counts what travelled (its gzip, when squeezed), not its size.
    this.stats.bytesDownloaded += carried?.startsWith('gzip:') ? Math.floor(((carried.length - 5) * 3) / 4) : desc.size;
  }
}
