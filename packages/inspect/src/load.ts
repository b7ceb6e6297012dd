import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { readLayerTar, type Image, type Layer } from '@strata/oci';
import { LayerReadError, oneLine } from './errors.js';
import type { ImageMeta, LayerInfo } from './image-meta.js';
import { scanEntries, type LayerScan } from './scan.js';

/** How layers are read. */
export interface ScanOptions {
  /** Layers read at once (default 3): decompression runs on libuv's threads, so this overlaps it. */
  concurrency?: number;
  /** Only these layer indexes (others come back undefined). */
  only?: number[];
}

/** A cache of scans by diff ID, so two images sharing layers read each shared layer once. */
export type ScanCache = Map<string, Promise<LayerScan>>;

/**
 * Reads every layer of an image as a stream: tar headers parsed, file content hashed, nothing written to
 * disk and no content kept. The uncompressed bytes are checked against the config's diff ID, so a corrupt
 * or truncated layer is an error naming it, never a partial answer.
 */
export async function scanImage(meta: ImageMeta, image: Image, opts: ScanOptions = {}, cache: ScanCache = new Map()): Promise<LayerScan[]> {
  const layers = await image.layers().catch((e: unknown) => { throw new LayerReadError(`${meta.ref}: ${oneLine(e)}`); });
  if (layers.length !== meta.layers.length) throw new LayerReadError(`${meta.ref}: image has ${layers.length} layers, manifest lists ${meta.layers.length}`);
  const want = opts.only ?? meta.layers.map((l) => l.index);
  const out: LayerScan[] = new Array(meta.layers.length);
  let next = 0;
  const worker = async () => {
    while (next < want.length) {
      const i = want[next++]!;
      const info = meta.layers[i]!;
      let p = cache.get(info.diffId);
      if (!p) {
        p = scanLayer(meta.ref, info, layers[i]!);
        cache.set(info.diffId, p);
      }
      out[i] = await p;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 3, want.length)) }, worker));
  return out;
}

/** Reads one layer; errors become one line naming the image, the layer index and its digest. */
export async function scanLayer(ref: string, info: LayerInfo, layer: Layer): Promise<LayerScan> {
  const where = `${ref}: layer ${info.index} (${info.digest})`;
  let stream: Readable | undefined;
  try {
    stream = await layer.uncompressed();
    const hasher = createHash('sha256');
    const src = new HashingSource(stream, hasher);
    const scan = await scanEntries(readLayerTar(src, { source: where }));
    await src.drain();
    const diffId = 'sha256:' + hasher.digest('hex');
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
 * A stream's chunks passed through a hash. The tar reader stops at the end-of-archive blocks, but the diff ID
 * covers every byte, so `drain` hashes whatever follows once the entries are read.
 */
class HashingSource implements AsyncIterable<Buffer> {
  private readonly it: AsyncIterator<Buffer>;
  constructor(stream: AsyncIterable<Buffer>, private readonly hasher: Hash) {
    this.it = stream[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: async () => {
        const r = await this.it.next();
        if (!r.done) this.hasher.update(r.value);
        return r;
      },
    };
  }

  async drain(): Promise<void> {
    for (let r = await this.it.next(); !r.done; r = await this.it.next()) this.hasher.update(r.value);
  }
}
