import type { Readable } from 'node:stream';
import { decompress, isDigest, MediaType, type Descriptor, type Digest, type Image, type ImageConfig, type Index, type Layer, type Manifest, type Platform } from '@strata/oci';
import type { FetchedManifest, RepositoryClient } from './client.js';
import { RegistryError } from './errors.js';
import { DEFAULT_PLATFORM, selectPlatform } from './platform.js';
import { readAll } from './transport.js';

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);

/** True for an OCI index or a Docker manifest list. */
export function isIndexMediaType(mt: string): boolean {
  return INDEX_TYPES.has(mt);
}

function checkDescriptor(d: unknown, where: string, label: string): Descriptor {
  const x = d as Partial<Descriptor> | undefined;
  if (!x || typeof x !== 'object') throw new RegistryError(`${label}: ${where} is missing`);
  if (!isDigest(x.digest)) throw new RegistryError(`${label}: ${where}.digest is not a sha256 digest`);
  if (typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0) throw new RegistryError(`${label}: ${where}.size is not a size`);
  if (typeof x.mediaType !== 'string') throw new RegistryError(`${label}: ${where}.mediaType is missing`);
  return x as Descriptor;
}

/** Parses and checks an image manifest's JSON (config and layer descriptors well-formed). */
export function parseManifest(bytes: Buffer, label: string): Manifest {
  const m = JSON.parse(bytes.toString('utf8')) as Manifest;
  checkDescriptor(m.config, 'manifest config', label);
  if (!Array.isArray(m.layers)) throw new RegistryError(`${label}: manifest layers is not a list`);
  m.layers.forEach((l, i) => checkDescriptor(l, `manifest layers[${i}]`, label));
  return m;
}

/** Parses and checks an index's JSON. */
export function parseIndex(bytes: Buffer, label: string): Index {
  const ix = JSON.parse(bytes.toString('utf8')) as Index;
  if (!Array.isArray(ix.manifests)) throw new RegistryError(`${label}: index manifests is not a list`);
  ix.manifests.forEach((m, i) => checkDescriptor(m, `index manifests[${i}]`, label));
  return ix;
}

/**
 * An image in a registry, read lazily: nothing is fetched until a method is called, and each piece is fetched
 * once. An index is resolved to the platform asked for (linux/amd64 by default).
 */
export class RemoteImage implements Image {
  private resolved: Promise<{ index?: FetchedManifest; manifest: FetchedManifest; parsed: Manifest }> | undefined;
  private configBytes: Promise<Buffer> | undefined;

  constructor(readonly client: RepositoryClient, readonly target: string, readonly platform: Platform = DEFAULT_PLATFORM) {}

  private resolve() {
    this.resolved ??= (async () => {
      const label = this.client.label;
      const first = await this.client.getManifest(this.target);
      if (isIndexMediaType(first.mediaType)) {
        const ix = parseIndex(first.bytes, label);
        const chosen = selectPlatform(ix.manifests, this.platform, label);
        const manifest = await this.client.getManifest(chosen.digest);
        if (manifest.bytes.length !== chosen.size) {
          throw new RegistryError(`${label}: manifest ${chosen.digest} is ${manifest.bytes.length} bytes, index says ${chosen.size}`);
        }
        if (!MANIFEST_TYPES.has(manifest.mediaType)) throw new RegistryError(`${label}: ${chosen.digest} is a ${manifest.mediaType}, not an image manifest`);
        return { index: first, manifest, parsed: parseManifest(manifest.bytes, label) };
      }
      if (!MANIFEST_TYPES.has(first.mediaType)) throw new RegistryError(`${label}: unsupported manifest type ${first.mediaType}`);
      return { manifest: first, parsed: parseManifest(first.bytes, label) };
    })();
    return this.resolved;
  }

  /** The index the tag pointed at, when it was one (raw bytes, media type, digest). */
  async index(): Promise<FetchedManifest | undefined> {
    return (await this.resolve()).index;
  }

  async rawManifest(): Promise<Buffer> {
    return (await this.resolve()).manifest.bytes;
  }

  async manifest(): Promise<Manifest> {
    return (await this.resolve()).parsed;
  }

  async digest(): Promise<Digest> {
    return (await this.resolve()).manifest.digest;
  }

  async descriptor(): Promise<Descriptor> {
    const m = (await this.resolve()).manifest;
    return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  }

  async rawConfig(): Promise<Buffer> {
    this.configBytes ??= (async () => {
      const desc = (await this.manifest()).config;
      return readAll(await this.client.blob(desc), 16 << 20, `${this.client.label}: config ${desc.digest}`);
    })();
    return this.configBytes;
  }

  async config(): Promise<ImageConfig> {
    const raw = await this.rawConfig();
    try {
      return JSON.parse(raw.toString('utf8')) as ImageConfig;
    } catch {
      throw new RegistryError(`${this.client.label}: image config is malformed JSON`);
    }
  }

  async layers(): Promise<Layer[]> {
    const m = await this.manifest();
    return m.layers.map((d, i) => new RemoteLayer(this, d, i));
  }
}

/** One layer of a RemoteImage; its blob is fetched (and verified) only when a stream is asked for. */
export class RemoteLayer implements Layer {
  constructor(private readonly image: RemoteImage, readonly desc: Descriptor, private readonly position: number) {}

  async digest(): Promise<Digest> { return this.desc.digest; }
  async size(): Promise<number> { return this.desc.size; }
  async mediaType(): Promise<string> { return this.desc.mediaType; }

  /** From the image config's rootfs.diff_ids (fetches the config, not the layer). */
  async diffId(): Promise<Digest> {
    const ids = (await this.image.config()).rootfs?.diff_ids ?? [];
    const id = ids[this.position];
    if (!isDigest(id)) throw new RegistryError(`${this.image.client.label}: config has no diff_id for layer ${this.position}`);
    return id;
  }

  async compressed(): Promise<Readable> {
    return this.image.client.blob(this.desc);
  }

  /** Decompressed by @strata/oci (gzip, zstd or plain, sniffed); the blob is still verified as it streams. */
  async uncompressed(): Promise<Readable> {
    return decompress(await this.compressed(), this.desc.mediaType, `${this.image.client.label}: layer ${this.desc.digest}`);
  }
}
