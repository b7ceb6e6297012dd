import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { compressionOfMediaType, type Image, type Layer } from '@strata/oci';
import { LayerReadError, oneLine } from './errors.js';
import type { ImageMeta, LayerInfo } from './image-meta.js';
import type { LayerScan } from './scan.js';
import { TarScanner } from './tar-scan.js';

/** How layers are read. */
export interface ScanOptions {
  /** Layers read at once (default 3): decompression runs on libuv's threads, so this overlaps it. */
  concurrency?: number;
  /** Only these layer indexes (others come back undefined). */
  only?: number[];
  /**
   * Hash each layer's uncompressed bytes and compare with the config's diff ID (default true). Blobs are
   * always checked against their digests by the source; this also catches a config that lies.
   */
  verifyDiffIds?: boolean;
}

/** A cache of scans by diff ID, so two images sharing layers read each shared layer once. */
export type ScanCache = Map<string, Promise<LayerScan>>;

/**
 * Reads every layer of an image as a stream: tar headers parsed, file content hashed, nothing written to
 * disk and no content kept. The uncompressed bytes are checked against the config's diff ID, so a corrupt
 * or truncated layer is an error naming it, never a partial answer.
 */
export async function scanImage(meta: ImageMeta, image: Image, opts: ScanOptions = {}, cache: ScanCache = new Map()): Promise<LayerScan[]> {
  return (await scanImages([{ meta, image, ...(opts.only ? { only: opts.only } : {}) }], opts, cache))[0]!;
}

/** One image to scan, optionally only some of its layers. */
export interface ScanRequest { meta: ImageMeta; image: Image; only?: number[] }

/**
 * Scans several images' layers in one pool, each distinct layer (by diff ID) once, so two builds that share
 * a base read it once and the layers only one image has are not left waiting behind shared ones.
 */
export async function scanImages(reqs: ScanRequest[], opts: ScanOptions = {}, cache: ScanCache = new Map()): Promise<LayerScan[][]> {
  const jobs: { meta: ImageMeta; layer: Layer; index: number }[] = [];
  const outs: LayerScan[][] = [];
  for (const r of reqs) {
    const layers = await r.image.layers().catch((e: unknown) => { throw new LayerReadError(`${r.meta.ref}: ${oneLine(e)}`); });
    if (layers.length !== r.meta.layers.length) throw new LayerReadError(`${r.meta.ref}: image has ${layers.length} layers, manifest lists ${r.meta.layers.length}`);
    for (const i of r.only ?? r.meta.layers.map((l) => l.index)) jobs.push({ meta: r.meta, layer: layers[i]!, index: i });
    outs.push(new Array<LayerScan>(r.meta.layers.length));
  }
  const start = (j: (typeof jobs)[number]) => {
    const info = j.meta.layers[j.index]!;
    let p = cache.get(info.diffId);
    if (!p) {
      p = scanLayer(j.meta.ref, info, j.layer, opts.verifyDiffIds ?? true);
      p.catch(() => undefined); // awaited below; a rejection must not go unhandled while it waits
      cache.set(info.diffId, p);
    }
    return p;
  };
  // Distinct layers first, in image order; a job whose diff ID is already being read just waits for it.
  const seen = new Set<string>();
  const queue = jobs.filter((j) => {
    const id = j.meta.layers[j.index]!.diffId;
    if (seen.has(id) || cache.has(id)) return false;
    seen.add(id);
    return true;
  });
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < queue.length && failed === undefined) {
      try {
        await start(queue[next++]!);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 3, queue.length)) }, worker));
  if (failed !== undefined) throw failed;
  for (const [k, r] of reqs.entries()) {
    for (const j of jobs.filter((x) => x.meta === r.meta)) outs[k]![j.index] = await start(j);
  }
  return outs;
}

/** Reads one layer; errors become one line naming the image, the layer index and its digest. */
export async function scanLayer(ref: string, info: LayerInfo, layer: Layer, verifyDiffId = true): Promise<LayerScan> {
  const where = `${ref}: layer ${info.index} (${info.digest})`;
  let stream: Readable | undefined;
  try {
    stream = await uncompressed(info, layer);
    // An uncompressed blob is the layer tar itself: the source verifies it against its digest, which is
    // the diff ID, so hashing it again would only repeat that work.
    const verified = !verifyDiffId || (info.digest === info.diffId && compressionOfMediaType(info.mediaType) === 'none');
    const hasher = verified ? undefined : createHash('sha256');
    const scanner = new TarScanner(where);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hasher?.update(chunk);
      scanner.push(chunk);
    }
    const scan = scanner.end();
    const diffId = hasher ? 'sha256:' + hasher.digest('hex') : info.diffId;
    if (diffId !== info.diffId) throw new LayerReadError(`${where}: uncompressed content is ${diffId}, config says diff ID ${info.diffId}`);
    return scan;
  } catch (e) {
    stream?.destroy();
    if (e instanceof LayerReadError) throw e;
    const msg = oneLine(e);
    throw new LayerReadError(msg.includes(info.digest) ? msg : `${where}: ${msg}`);
  }
}

/**
 * The layer's tar. gzip is decompressed here with 256 KiB output chunks rather than zlib's default 16 KiB:
 * at a gigabyte per image the per-chunk stream overhead was a third of the scan (benchmarks/inspect).
 * Other compressions go through the layer's own uncompressed().
 */
async function uncompressed(info: LayerInfo, layer: Layer): Promise<Readable> {
  if (compressionOfMediaType(info.mediaType) !== 'gzip') return layer.uncompressed();
  const raw = await layer.compressed();
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  raw.on('error', (e) => gunzip.destroy(e));
  gunzip.on('error', () => raw.destroy());
  return raw.pipe(gunzip);
}
