import type { Readable } from 'node:stream';
import {
  RemoteBlobError, RemoteCache, RemoteCacheError, openBackend, type CacheEntry, type CacheSpec, type LayerRef,
} from '@strata/cache';
import type { BlobSource, ContentStore, Descriptor, Digest } from '@strata/oci';
import { BuildError } from './errors.js';

/** One-line warnings (the CLI prints them as such). */
export type Warn = (message: string) => void;

interface Source {
  remote: RemoteCache;
  spec: CacheSpec;
  /** Set once the source failed: the build goes on without it. */
  off?: boolean;
}

/** What the remote sources moved in one build (bytes downloaded are what the tests count). */
export interface ImportStats {
  probes: number;
  hits: number;
  blobsDownloaded: number;
  bytesDownloaded: number;
  /** Export bundles read (one answers the probes of all the entries it holds). */
  bundlesRead: number;
}

/**
 * The `--cache-from` sources of one build, consulted in order, lazily: a key is probed only when the solver
 * asks for it and the local index lacks it, and a blob is downloaded only when the builder reads it (a parent
 * chain to unpack, a layer of the output). A source that fails is dropped with one warning (or fails the
 * build with --cache-required); a hit whose blob is missing or corrupt is a miss with a warning.
 */
export class RemoteSources {
  private readonly sources: Source[];
  /** Where each blob named by a remote hit can be fetched from. */
  private readonly origin = new Map<string, { desc: Descriptor; source: Source }>();
  /** Blobs found missing or corrupt: entries naming them are misses from now on. */
  private readonly bad = new Set<string>();
  hits = 0;
  /** Entries this build took from a source (recorded locally): forgotten again when a blob of theirs is bad. */
  private readonly taken = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(specs: CacheSpec[], private readonly cs: ContentStore, private readonly warn: Warn, private readonly required: boolean) {
    this.sources = specs.map((spec) => ({ spec, remote: new RemoteCache(openBackend(spec.location)) }));
  }

  /** Labels of the sources dropped so far (their one warning is given). */
  failed(): Set<string> {
    return new Set(this.sources.filter((s) => s.off).map((s) => s.remote.label));
  }

  /** True when at least one source is configured. */
  get active(): boolean {
    return this.sources.length > 0;
  }

  /**
   * Checks every source once (one round trip each) so an unusable one is reported before the build, and
   * starts listing each one's keys meanwhile (build() calls this before planning and awaits it after).
   */
  async check(): Promise<void> {
    await Promise.all(this.sources.map((s) => {
      const checked = this.guard(s, () => s.remote.backend.check(false));
      s.remote.warm();
      return checked;
    }));
  }

  /** Runs a remote call; a failure drops the source with one warning, or throws with --cache-required. */
  private async guard<T>(s: Source, fn: () => Promise<T>): Promise<T | undefined> {
    if (s.off) return undefined;
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof RemoteCacheError)) throw e;
      if (this.required) throw new BuildError(`--cache-from ${s.spec.text}: ${e.message}`);
      s.off = true;
      this.warn(`cache source ${s.remote.label} unusable, building without it: ${e.message.replace(`${s.remote.label}: `, '')}`);
      return undefined;
    }
  }

  /**
   * The first source's entry for `key` whose blobs are all local or at that source; undefined on a miss. The
   * entry is trusted to name blobs its source holds (a registry refuses an entry whose blobs are not there;
   * exporters write blobs first), so a hit costs no existence checks: a blob missing after all shows when it
   * is fetched, and is then a miss with a warning (retryBadBlobs).
   */
  async lookup(key: string): Promise<CacheEntry | undefined> {
    for (const s of this.sources) {
      const e = await this.guard(s, () => s.remote.entry(key));
      if (e === undefined) continue;
      if (e.state.layers.some((l) => this.bad.has(l.digest))) continue;
      for (const l of e.state.layers) {
        if (!this.origin.has(l.digest)) this.origin.set(l.digest, { desc: { mediaType: l.mediaType, digest: l.digest, size: l.size }, source: s });
      }
      this.hits++;
      this.taken.set(key, e);
      return e;
    }
    return undefined;
  }

  /**
   * Pre-images the sources hold for a step position, for explaining a miss that neither the local index nor
   * a source could answer (a runner that never built the step compares against what another runner built).
   */
  async nearest(slot: string): Promise<Array<{ key: string; preImage: CacheEntry['preImage'] }>> {
    const out: Array<{ key: string; preImage: CacheEntry['preImage'] }> = [];
    for (const s of this.sources) {
      if (s.off) continue;
      for (const e of await s.remote.entriesOfSlot(slot)) out.push({ key: e.key, preImage: e.preImage });
    }
    return out;
  }

  /** True when every layer is local or fetchable from a source that has it (a local record's layers). */
  async provide(layers: readonly LayerRef[]): Promise<boolean> {
    for (const l of layers) {
      if (this.bad.has(l.digest)) return false;
      if (this.origin.has(l.digest) || (await this.cs.has(l.digest))) continue;
      let found: Source | undefined;
      for (const s of this.sources) {
        if (await this.guard(s, () => s.remote.has(l.digest))) {
          found = s;
          break;
        }
      }
      if (!found) {
        // Remembered as bad: later entries naming the same blob are misses without another check.
        this.bad.add(l.digest);
        return false;
      }
      this.origin.set(l.digest, { desc: { mediaType: l.mediaType, digest: l.digest, size: l.size }, source: found });
    }
    return true;
  }

  /** Downloads a blob a remote hit named unless it is local (verified; RemoteBlobError when bad). */
  ensure(digest: Digest): Promise<void> {
    // One download per blob, however many steps and the output ask for it at once.
    let p = this.inflight.get(digest);
    if (!p) {
      p = this.download(digest).finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, p);
    }
    return p;
  }

  private async download(digest: Digest): Promise<void> {
    if (await this.cs.has(digest)) return;
    const o = this.origin.get(digest);
    if (!o) return;
    try {
      await o.source.remote.fetch(o.desc, this.cs);
    } catch (e) {
      if (!(e instanceof RemoteCacheError)) throw e;
      this.bad.add(digest);
      this.origin.delete(digest);
      if (e instanceof RemoteBlobError) throw e;
      // The source broke mid-build: without --cache-required that is a miss too, and the source is dropped.
      if (this.required) throw new BuildError(`--cache-from ${o.source.spec.text}: ${e.message}`);
      o.source.off = true;
      throw new RemoteBlobError(e.message, digest);
    }
  }

  /** The content store as a BlobSource that fetches remote-hit blobs on first read. */
  blobSource(): BlobSource {
    return {
      get: async (d: Digest): Promise<Readable> => {
        await this.ensure(d);
        return this.cs.get(d);
      },
      readBuffer: async (d: Digest): Promise<Buffer> => {
        await this.ensure(d);
        return this.cs.readBuffer(d);
      },
      has: async (d: Digest): Promise<boolean> => (await this.cs.has(d)) || this.origin.has(d),
    };
  }

  /** Downloads the given layers now (the output image's), so a bad blob shows before anything is written. */
  async prefetch(layers: readonly LayerRef[]): Promise<void> {
    const todo = layers.filter((l) => this.origin.has(l.digest));
    let first: unknown;
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const l = todo[next++]!;
        await this.ensure(l.digest).catch((e: unknown) => { first ??= e; next = todo.length; });
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, todo.length) }, worker));
    if (first !== undefined) throw first;
  }

  /** The bad blob behind a failure, when the failure was one (found through `cause` chains). */
  static badBlobOf(e: unknown): RemoteBlobError | undefined {
    for (let cur = e, i = 0; cur && i < 8; cur = (cur as { cause?: unknown }).cause, i++) {
      if (cur instanceof RemoteBlobError) return cur;
    }
    return undefined;
  }

  /** Keys taken from a source whose entry names `digest`. */
  keysNaming(digest: string): string[] {
    return [...this.taken].filter(([, e]) => e.state.layers.some((l) => l.digest === digest)).map(([k]) => k);
  }

  /** Sends a warning through the build's channel. */
  say(message: string): void {
    this.warn(message);
  }

  /** Bytes and requests so far, over all sources. */
  stats(): ImportStats {
    const out: ImportStats = { probes: 0, hits: this.hits, blobsDownloaded: 0, bytesDownloaded: 0, bundlesRead: 0 };
    for (const s of this.sources) {
      out.probes += s.remote.stats.probes;
      out.bundlesRead += s.remote.stats.bundlesRead;
      out.blobsDownloaded += s.remote.stats.blobsDownloaded;
      out.bytesDownloaded += s.remote.stats.bytesDownloaded;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.remote.backend.close()));
  }
}

/**
 * Runs a solve; when it fails on a remote blob that is missing or corrupt, forgets the entries that named it
 * (locally recorded remote hits) and solves again, so those steps run: a bad remote blob is a miss with one
 * warning, never a failed build or a wrong image. Steps finished in the failed attempt are local hits now.
 */
export async function retryBadBlobs<T>(remote: RemoteSources, cache: { forget(key: string): Promise<void> }, run: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      const bad = RemoteSources.badBlobOf(e);
      if (bad === undefined || attempt >= 4) throw e;
      remote.say(`${bad.message}; rebuilding the steps that need it`);
      for (const k of remote.keysNaming(bad.digest)) await cache.forget(k);
      onRetry();
    }
  }
}
