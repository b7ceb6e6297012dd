import type { ContentStore, Descriptor, Digest, Platform } from '@strata/oci';
import { writeBlob } from './blob-writer.js';
import { connect, type ConnectOptions } from './connect.js';
import { RegistryError } from './errors.js';
import { forEachLimit } from './pool.js';
import { formatReference, parseReference, referenceTarget, type Reference } from './reference.js';
import { RemoteImage } from './remote-image.js';

/** Options of pull. */
export interface PullOptions extends ConnectOptions {
  /** Where blobs go. */
  store: ContentStore;
  /** Platform to pick from an index (default linux/amd64). */
  platform?: Platform;
  /** Blobs fetched at once (default 4). */
  concurrency?: number;
  /**
   * Records the name once every blob is stored (the local image store); called last, so a failed pull
   * leaves no name pointing at missing blobs.
   */
  recordName?: (name: string, manifest: Descriptor, image: RemoteImage) => Promise<void>;
  /** Progress: one call per blob as it is fetched or found present. */
  onBlob?: (ev: { digest: Digest; size: number; status: 'fetched' | 'present'; kind: 'config' | 'layer' }) => void;
}

/** What pull did. */
export interface PullResult {
  reference: Reference;
  /** The platform manifest stored and named. */
  manifest: Descriptor;
  /** The index the reference pointed at, when it did. */
  index?: Descriptor;
  fetched: number;
  present: number;
  bytesFetched: number;
}

/**
 * Pulls an image: manifest (index → platform), config and layers, each verified against its digest and
 * streamed into the content store (blobs already present are skipped), then the manifests, then the name.
 */
export async function pull(refInput: string | Reference, opts: PullOptions): Promise<PullResult> {
  const reference = typeof refInput === 'string' ? parseReference(refInput) : refInput;
  const client = connect(reference, opts);
  const image = new RemoteImage(client, referenceTarget(reference), opts.platform);
  const manifest = await image.manifest();
  const label = client.label;
  const result: PullResult = { reference, manifest: await image.descriptor(), fetched: 0, present: 0, bytesFetched: 0 };
  const store = opts.store;

  const all = [{ d: manifest.config, kind: 'config' as const }, ...manifest.layers.map((d) => ({ d, kind: 'layer' as const }))];
  // A layer may repeat (the same empty layer twice): fetch it once.
  const blobs = [...new Map(all.map((b) => [b.d.digest, b])).values()];
  await forEachLimit(blobs, opts.concurrency ?? 4, async ({ d, kind }) => {
    const st = await store.stat(d.digest);
    if (st && st.size === d.size) {
      result.present++;
      opts.onBlob?.({ digest: d.digest, size: d.size, status: 'present', kind });
      return;
    }
    const what = `${label}: blob ${d.digest}`;
    const attempts = Math.max(1, opts.attempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        // Verified as it is written; renamed into the store only when whole and matching.
        const res = await client.blobResponse(d.digest);
        await writeBlob(store, res.body, { digest: d.digest, size: d.size }, what);
        break;
      } catch (e) {
        // A connection cut or stalled mid-blob is worth another try from the start (the request itself
        // already retried its own failures); a wrong digest is not.
        if (!(e instanceof RegistryError) || !e.retryable || e.status !== undefined || attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 250) * 2 ** (attempt - 1)));
      }
    }
    result.fetched++;
    result.bytesFetched += d.size;
    opts.onBlob?.({ digest: d.digest, size: d.size, status: 'fetched', kind });
  });

  await store.put(await image.rawManifest(), { digest: result.manifest.digest }, `${label}: manifest`);
  const index = await image.index();
  if (index) {
    await store.put(index.bytes, { digest: index.digest }, `${label}: index`);
    result.index = { mediaType: index.mediaType, digest: index.digest, size: index.bytes.length };
  }
  await opts.recordName?.(formatReference(reference), result.manifest, image);
  return result;
}
