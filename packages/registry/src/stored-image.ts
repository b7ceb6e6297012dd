import type { Readable } from 'node:stream';
import { decompress, type ContentStore, type Descriptor, type Digest, type Image, type ImageConfig, type Layer, type Manifest } from '@strata/oci';
import { RegistryError } from './errors.js';
import { parseManifest } from './remote-image.js';

/**
 * An image whose manifest, config and layers are blobs in a ContentStore (what pull leaves behind). Used as the
 * source of a push; every read is verified by the store.
 */
export class StoredImage implements Image {
  private cache: Promise<{ raw: Buffer; parsed: Manifest }> | undefined;

  constructor(readonly store: ContentStore, readonly desc: Descriptor, readonly label = desc.digest as string) {}

  private load() {
    this.cache ??= (async () => {
      const raw = await this.store.readBuffer(this.desc.digest);
      return { raw, parsed: parseManifest(raw, this.label) };
    })();
    return this.cache;
  }

  async rawManifest(): Promise<Buffer> { return (await this.load()).raw; }
  async manifest(): Promise<Manifest> { return (await this.load()).parsed; }
  async digest(): Promise<Digest> { return this.desc.digest; }

  async descriptor(): Promise<Descriptor> {
    const m = await this.manifest();
    return { ...this.desc, mediaType: m.mediaType ?? this.desc.mediaType };
  }

  async rawConfig(): Promise<Buffer> {
    return this.store.readBuffer((await this.manifest()).config.digest);
  }

  async config(): Promise<ImageConfig> {
    return JSON.parse((await this.rawConfig()).toString('utf8')) as ImageConfig;
  }

  async layers(): Promise<Layer[]> {
    const m = await this.manifest();
    return m.layers.map((d, i) => new StoredLayer(this, d, i));
  }
}

/** A layer blob in a ContentStore. */
class StoredLayer implements Layer {
  constructor(private readonly image: StoredImage, readonly desc: Descriptor, private readonly position: number) {}
  async digest(): Promise<Digest> { return this.desc.digest; }
  async size(): Promise<number> { return this.desc.size; }
  async mediaType(): Promise<string> { return this.desc.mediaType; }
  async diffId(): Promise<Digest> {
    const id = (await this.image.config()).rootfs?.diff_ids?.[this.position];
    if (!id) throw new RegistryError(`${this.image.label}: config has no diff_id for layer ${this.position}`);
    return id;
  }
  async compressed(): Promise<Readable> { return this.image.store.get(this.desc.digest); }
  async uncompressed(): Promise<Readable> {
    return decompress(await this.compressed(), this.desc.mediaType, `${this.image.label}: layer ${this.desc.digest}`);
  }
}
