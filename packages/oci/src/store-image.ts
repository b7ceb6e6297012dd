import type { BlobSource } from './content-store.js';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import { NotFoundError, OciError } from './errors.js';
import type { Image, Layer } from './image.js';
import { StoreLayer } from './layers.js';
import { MediaType } from './media-types.js';
import type { ImageConfig, Index, Manifest } from './types.js';
import { checkManifestConfig, isIndexType, parseConfig, parseIndex, parseJsonObject, parseManifest, documentMediaType } from './validate.js';
import type { Platform } from './descriptor.js';
import { hostArchitecture } from './image-builder.js';

/** An image whose manifest, config and layers are blobs in a ContentStore; everything is read on demand. */
export class StoreImage implements Image {
  private m?: Manifest;
  private rawM?: Buffer;
  private rawC?: Buffer;
  private c?: ImageConfig;
  /** `where` names the image (its reference) in errors. */
  constructor(private readonly cs: BlobSource, private readonly desc: Descriptor, private readonly where: string = desc.digest) {}

  async rawManifest(): Promise<Buffer> {
    this.rawM ??= await this.cs.readBuffer(this.desc.digest).catch((e: Error) => {
      throw new (e instanceof NotFoundError ? NotFoundError : OciError)(`${this.where}: manifest: ${e.message}`);
    });
    return this.rawM;
  }
  async manifest(): Promise<Manifest> {
    this.m ??= parseManifest(await this.rawManifest(), `${this.where} manifest`);
    return this.m;
  }
  async rawConfig(): Promise<Buffer> {
    const m = await this.manifest();
    this.rawC ??= await this.cs.readBuffer(m.config.digest).catch((e: Error) => {
      throw new (e instanceof NotFoundError ? NotFoundError : OciError)(`${this.where}: config: ${e.message}`);
    });
    return this.rawC;
  }
  async config(): Promise<ImageConfig> {
    if (!this.c) {
      this.c = parseConfig(await this.rawConfig(), `${this.where} config`);
      checkManifestConfig(await this.manifest(), this.c, this.where);
    }
    return this.c;
  }
  async layers(): Promise<Layer[]> {
    const m = await this.manifest();
    const c = await this.config();
    return m.layers.map((d, i) => new StoreLayer(this.cs, d, c.rootfs.diff_ids[i]!));
  }
  async digest(): Promise<Digest> {
    return this.desc.digest;
  }
  async descriptor(): Promise<Descriptor> {
    const m = await this.manifest();
    return { mediaType: m.mediaType ?? MediaType.ociManifest, digest: this.desc.digest, size: this.desc.size };
  }
}

/** The platform strata picks from an index when asked for none: the host's, linux. */
export function defaultPlatform(): Platform {
  return { os: 'linux', architecture: hostArchitecture() };
}

/** Picks the manifest for `platform` from an index (variant compared only when asked for). */
export function selectPlatform(index: Index, platform: Platform, where: string): Descriptor {
  const match = index.manifests.find((d) => d.platform && d.platform.os === platform.os && d.platform.architecture === platform.architecture &&
    (!platform.variant || d.platform.variant === platform.variant));
  if (match) return match;
  const only = index.manifests.filter((d) => !d.platform);
  if (only.length === 1) return only[0]!;
  const have = index.manifests.map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}` : '?')).join(', ');
  throw new NotFoundError(`${where}: no manifest for ${platform.os}/${platform.architecture} (index has ${have || 'none'})`);
}

/**
 * Opens a manifest-or-index blob from a store as an Image; an index resolves to the manifest for `platform`.
 */
export async function openStoreImage(cs: BlobSource, desc: Descriptor, where: string, platform: Platform = defaultPlatform()): Promise<StoreImage> {
  if (isIndexType(desc.mediaType) || !desc.mediaType) {
    const raw = await cs.readBuffer(desc.digest).catch((e: Error) => {
      throw new (e instanceof NotFoundError ? NotFoundError : OciError)(`${where}: ${e.message}`);
    });
    const mt = documentMediaType(parseJsonObject(raw, where));
    if (isIndexType(mt)) return openStoreImage(cs, selectPlatform(parseIndex(raw, where), platform, where), where, platform);
    return new StoreImage(cs, { mediaType: mt, digest: desc.digest, size: desc.size }, where);
  }
  return new StoreImage(cs, desc, where);
}
