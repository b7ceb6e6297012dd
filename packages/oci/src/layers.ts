import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { compress, decompress, layerMediaType, type Compression, type CompressOptions } from './compression.js';
import type { BlobSource, ContentStore } from './content-store.js';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import type { Layer } from './image.js';

/** What storeLayerTar produced. */
export interface StoredLayer {
  descriptor: Descriptor;
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
  layer: StoreLayer;
}

/**
 * Compresses an uncompressed layer tar into the store in one pass, hashing the tar on the way for its
 * diff_id. The blob becomes visible only whole (ContentStore.put).
 */
export async function storeLayerTar(cs: ContentStore, tar: AsyncIterable<Buffer | Uint8Array>, compression: Compression = 'gzip', opts: CompressOptions & { docker?: boolean } = {}): Promise<StoredLayer> {
  if (compression === 'none') {
    // The blob is the tar itself: its digest is the diff id, so the bytes are hashed once, not twice.
    const info = await cs.put(tar);
    const descriptor: Descriptor = { mediaType: layerMediaType(compression, opts.docker), digest: info.digest, size: info.size };
    return { descriptor, diffId: info.digest, uncompressedSize: info.size, layer: new StoreLayer(cs, descriptor, info.digest) };
  }
  const h = createHash('sha256');
  let n = 0;
  const tapped = Readable.from((async function* () {
    for await (const c of tar) {
      h.update(c);
      n += c.length;
      yield c;
    }
  })(), { objectMode: false });
  const info = await cs.put(compress(tapped, compression, opts));
  const diffId = ('sha256:' + h.digest('hex')) as Digest;
  const descriptor: Descriptor = { mediaType: layerMediaType(compression, opts.docker), digest: info.digest, size: info.size };
  return { descriptor, diffId, uncompressedSize: n, layer: new StoreLayer(cs, descriptor, diffId) };
}

/** A layer held as functions (for sources such as archives); every value is given, streams opened on demand. */
export class CallbackLayer implements Layer {
  constructor(
    readonly desc: Descriptor,
    private readonly diff: Digest,
    private readonly open: () => Promise<Readable>,
  ) {}
  async digest(): Promise<Digest> {
    return this.desc.digest;
  }
  async diffId(): Promise<Digest> {
    return this.diff;
  }
  async size(): Promise<number> {
    return this.desc.size;
  }
  async mediaType(): Promise<string> {
    return this.desc.mediaType;
  }
  async compressed(): Promise<Readable> {
    return this.open();
  }
  async uncompressed(): Promise<Readable> {
    return decompress(await this.open(), this.desc.mediaType, `layer ${this.desc.digest}`);
  }
}

/** A layer whose compressed blob is in a ContentStore; reads nothing until a stream is asked for. */
export class StoreLayer extends CallbackLayer {
  constructor(cs: BlobSource, desc: Descriptor, diff: Digest) {
    super(desc, diff, () => cs.get(desc.digest));
  }
}

/** A layer with a different media type label (OCI ↔ Docker); the bytes are the same. */
export class RelabelledLayer implements Layer {
  constructor(private readonly inner: Layer, private readonly mt: string) {}
  digest(): Promise<Digest> {
    return this.inner.digest();
  }
  diffId(): Promise<Digest> {
    return this.inner.diffId();
  }
  size(): Promise<number> {
    return this.inner.size();
  }
  async mediaType(): Promise<string> {
    return this.mt;
  }
  compressed(): Promise<Readable> {
    return this.inner.compressed();
  }
  uncompressed(): Promise<Readable> {
    return this.inner.uncompressed();
  }
}
