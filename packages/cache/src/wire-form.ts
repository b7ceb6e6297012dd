import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { compressionOfMediaType, isDigest, layerMediaType, storeLayerTar, type ContentStore, type Digest } from '@strata/oci';
import { writeFileAtomic } from './atomic.js';
import type { LayerRef } from './record.js';

/** Uncompressed layers up to this size travel uncompressed. */
const RAW_MAX = 16 << 10;
/** Layers up to this size are compressed in one zlib call (in the thread pool), larger ones streamed in parallel. */
const WHOLE_MAX = 8 << 20;
/** zlib.gzip as a promise; made on first use (the CLI loads zlib only when something compresses). */
const gzip = (data: Buffer): Promise<Buffer> => promisify(zlib.gzip)(data);
/** Raw deflate at the fastest level, for judging whether a layer compresses. */
const deflateFast = (data: Buffer): Promise<Buffer> => promisify(zlib.deflateRaw)(data, { level: 1 });
/**
 * A gzipped twin is made only when it comes to at most this share of the layer: below 10% saved, the layer
 * travels as it is (`docker push` would gzip it all the same). Gzip runs at some 75 MB/s on two cores here:
 * for 160 MB of mostly random data it saved 6% and took 2 s, twice the upload itself.
 */
const WORTH = 0.9;
/**
 * How many pieces of a large layer are deflated to judge it, and how big each is: many small ones, so that a
 * region holding a few percent of the bytes weighs about that much (2 MB read in all).
 */
const SAMPLES = 64;
const SAMPLE_BYTES = 32 << 10;

/** A layer as it travels: the descriptor entries name, and the gzip to carry inside an entry, if any. */
export interface WireLayer {
  ref: LayerRef;
  squeezed?: Buffer;
}

/**
 * The form a layer travels in. The local store keeps new layers uncompressed (as Docker's store does), but
 * a remote cache is paid for in bytes, so uncompressed layers are gzipped for export, as `docker push` does.
 * The compressed blob has the same diff id, so an entry naming it unpacks to the same tree and an image
 * built from it has the same config (image id). Each uncompressed digest → compressed descriptor pair is
 * remembered under `<root>/cache/wire/`, so a layer is compressed once, however often it is exported.
 */
export class WireForms {
  private readonly dir: string;
  private readonly memo = new Map<string, Promise<WireLayer>>();
  constructor(stateRoot: string, private readonly cs: ContentStore) {
    this.dir = path.join(stateRoot, 'cache', 'wire');
  }

  /**
   * The layer as it should travel to a backend that carries blobs up to `inlineMax` bytes inside entries:
   * itself when already compressed or tiny; itself with its gzip (`squeezed`) when that fits inside an
   * entry, so nothing is stored or remembered; else its gzipped twin.
   */
  of(l: LayerRef, inlineMax = 0): Promise<WireLayer> {
    if (compressionOfMediaType(l.mediaType) !== 'none') return Promise.resolve({ ref: l });
    const k = `${inlineMax}:${l.digest}`;
    let p = this.memo.get(k);
    if (!p) {
      p = this.make(l, inlineMax);
      this.memo.set(k, p);
    }
    return p;
  }

  private async make(l: LayerRef, inlineMax: number): Promise<WireLayer> {
    const file = path.join(this.dir, `${l.digest.slice(7)}.json`);
    try {
      // A twin made before is used again: entries already exported name it.
      const known = JSON.parse(await readFile(file, 'utf8')) as LayerRef;
      if (isDigest(known.digest) && known.diffId === l.diffId && (await this.cs.has(known.digest as Digest))) return { ref: known };
    } catch { /* not made yet */ }
    // A tiny layer travels as it is (inside its entry, where the remote takes that): compressing it, storing
    // the twin and remembering the pair costs more than the few kB it would save.
    if (l.size <= RAW_MAX || !(await this.cs.has(l.digest))) return { ref: l };
    let out: LayerRef;
    if (l.size <= WHOLE_MAX) {
      // Most step layers are small: one zlib call over the whole tar is several times faster than the
      // streaming parallel compressor, whose set-up only pays off on large layers.
      const gz = await gzip(await this.cs.readBuffer(l.digest));
      if (gz.length <= inlineMax) return { ref: l, squeezed: gz };
      // Random or already compressed content: a twin would save nothing on the way and cost a stored copy.
      if (gz.length > l.size * WORTH) return { ref: l };
      const info = await this.cs.put(gz);
      out = { mediaType: layerMediaType('gzip'), digest: info.digest, size: info.size, diffId: l.diffId };
    } else if (await this.incompressible(l)) {
      // As above, judged from samples.
      return { ref: l };
    } else {
      const stored = await storeLayerTar(this.cs, await this.cs.get(l.digest), 'gzip');
      out = { ...stored.descriptor, diffId: l.diffId };
    }
    await writeFileAtomic(file, JSON.stringify(out));
    return { ref: out };
  }

  /**
   * Whether gzip would leave a large layer nearly as big: SAMPLES pieces spread over it, deflated at the
   * fastest level, come to more than WORTH of their size.
   */
  private async incompressible(l: LayerRef): Promise<boolean> {
    const fh = await open(this.cs.pathOf(l.digest as Digest), 'r');
    try {
      let raw = 0;
      let packed = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const buf = Buffer.allocUnsafe(SAMPLE_BYTES);
        const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, Math.floor(((l.size - SAMPLE_BYTES) * i) / (SAMPLES - 1)));
        raw += bytesRead;
        packed += (await deflateFast(buf.subarray(0, bytesRead))).length;
      }
      return packed > raw * WORTH;
    } finally {
      await fh.close();
    }
  }
}
