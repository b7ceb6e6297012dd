import { Readable } from 'node:stream';
import { MediaType, type Digest, type Image } from '@strata/oci';
import { connect, type ConnectOptions } from './connect.js';
import { forEachLimit } from './pool.js';
import { parseReference, type Reference } from './reference.js';
import { pushBlob, type BlobPushResult } from './upload.js';

/** Options of push. */
export interface PushOptions extends ConnectOptions {
  /** Repositories of the destination registry that may already hold the blobs (tried as mounts), or per blob. */
  mountFrom?: string[] | ((digest: Digest) => string[]);
  /** Chunked upload with this chunk size in bytes; 0 or absent: monolithic. */
  chunkSize?: number;
  /** Blobs uploaded at once (default 4). */
  concurrency?: number;
  /** Progress: one call per blob. */
  onBlob?: (ev: { digest: Digest; size: number; result: BlobPushResult; mountedFrom?: string }) => void;
}

/** What push did. */
export interface PushResult {
  reference: Reference;
  /** Digest of the manifest pushed. */
  digest: Digest;
  mediaType: string;
  size: number;
  uploaded: number;
  mounted: number;
  existing: number;
}

/**
 * Pushes an image: every layer and the config (HEAD first, cross-repository mount, else upload), then the
 * manifest with its own content type under the reference's tag (or its digest).
 */
export async function push(image: Image, dest: string | Reference, opts: PushOptions = {}): Promise<PushResult> {
  const reference = typeof dest === 'string' ? parseReference(dest) : dest;
  const client = connect(reference, opts, true);
  const manifest = await image.manifest();
  const rawManifest = await image.rawManifest();
  const mediaType = manifest.mediaType ?? (await image.descriptor()).mediaType ?? MediaType.ociManifest;
  const counts = { uploaded: 0, mounted: 0, exists: 0 };
  const layers = await image.layers();
  const jobs: { digest: Digest; size: number; open: () => Promise<Readable> }[] = manifest.layers.map((d, i) => ({
    digest: d.digest, size: d.size, open: () => layers[i]!.compressed(),
  }));
  const rawConfig = await image.rawConfig();
  jobs.push({ digest: manifest.config.digest, size: manifest.config.size, open: async () => Readable.from([rawConfig]) });
  // The same blob may appear twice (an empty layer repeated): push it once.
  const unique = [...new Map(jobs.map((j) => [j.digest, j])).values()];
  await forEachLimit(unique, opts.concurrency ?? 4, async (job) => {
    const from = typeof opts.mountFrom === 'function' ? opts.mountFrom(job.digest) : opts.mountFrom ?? [];
    const r = await pushBlob(client, job, { mountFrom: from, chunkSize: opts.chunkSize ?? 0 });
    counts[r.result === 'exists' ? 'exists' : r.result]++;
    opts.onBlob?.({ digest: job.digest, size: job.size, ...r });
  });
  const target = reference.tag ?? reference.digest!;
  const digest = await client.putManifest(target, rawManifest, mediaType);
  return { reference, digest, mediaType, size: rawManifest.length, uploaded: counts.uploaded, mounted: counts.mounted, existing: counts.exists };
}
