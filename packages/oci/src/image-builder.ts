import type { Readable } from 'node:stream';
import { compressionOfMediaType, layerMediaType } from './compression.js';
import type { ContentStore } from './content-store.js';
import type { Descriptor } from './descriptor.js';
import { digestOf, type Digest } from './digest.js';
import { OciError } from './errors.js';
import type { Image, Layer } from './image.js';
import { RelabelledLayer } from './layers.js';
import { MediaType } from './media-types.js';
import type { HistoryEntry, ImageConfig, Manifest } from './types.js';
import { checkManifestConfig, parseConfig, parseManifest } from './validate.js';

/** Manifest flavour to write: OCI (default) or Docker schema 2. */
export type ImageFormat = 'oci' | 'docker';

/** An image whose manifest and config bytes are in memory and whose layers are any Layer. */
export class MemoryImage implements Image {
  private readonly m: Manifest;
  private readonly c: ImageConfig;
  constructor(private readonly rawM: Buffer, private readonly rawC: Buffer, private readonly ls: Layer[], where = 'image') {
    this.m = parseManifest(rawM, `${where} manifest`);
    this.c = parseConfig(rawC, `${where} config`);
    checkManifestConfig(this.m, this.c, where);
    if (digestOf(rawC) !== this.m.config.digest) throw new OciError(`${where}: config bytes do not match manifest config.digest`);
  }
  async rawManifest(): Promise<Buffer> {
    return this.rawM;
  }
  async manifest(): Promise<Manifest> {
    return this.m;
  }
  async rawConfig(): Promise<Buffer> {
    return this.rawC;
  }
  async config(): Promise<ImageConfig> {
    return this.c;
  }
  async layers(): Promise<Layer[]> {
    return this.ls;
  }
  async digest(): Promise<Digest> {
    return digestOf(this.rawM);
  }
  async descriptor(): Promise<Descriptor> {
    return { mediaType: this.m.mediaType ?? MediaType.ociManifest, digest: digestOf(this.rawM), size: this.rawM.length };
  }
}

/** One layer to put in an image, with its history line. */
export interface LayerSpec {
  layer: Layer;
  history?: HistoryEntry;
}

/** Inputs of buildImage. */
export interface BuildImageOptions {
  /** The image built upon: its layers come first and its config is the starting point. */
  base?: Image;
  /** Config fields over the base's (architecture/os default to the host's, linux); rootfs is filled in. */
  config?: Partial<ImageConfig>;
  /** History entries for steps without a layer (empty_layer), appended after the new layers' entries. */
  emptyHistory?: HistoryEntry[];
  layers: LayerSpec[];
  /** Manifest flavour; default OCI. */
  format?: ImageFormat;
  annotations?: Record<string, string>;
}

/** The host's architecture in OCI terms. */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

/** Canonical JSON bytes for a document (stable key order as given, no spaces): what strata hashes and stores. */
export function jsonBytes(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

/**
 * Builds an image from a config and layers: fills rootfs.diff_ids and history, writes the config and the
 * manifest (OCI by default) as bytes, and returns them as a MemoryImage. Nothing is written to disk.
 */
export async function buildImage(o: BuildImageOptions): Promise<MemoryImage> {
  const docker = o.format === 'docker';
  const baseCfg = o.base ? await o.base.config() : undefined;
  const base: Partial<ImageConfig> = { ...baseCfg, ...o.config };
  const diffIds: Digest[] = [];
  const history: HistoryEntry[] = [...(base.history ?? [])];
  const layerDescs: Descriptor[] = [];
  const layers: Layer[] = [];
  const specs: Array<LayerSpec & { inherited?: boolean }> = [];
  if (o.base) for (const layer of await o.base.layers()) specs.push({ layer, inherited: true });
  specs.push(...o.layers);
  for (const spec of specs) {
    diffIds.push(await spec.layer.diffId());
    if (!spec.inherited) history.push({ ...(spec.history ?? { created_by: 'strata' }), empty_layer: undefined } as HistoryEntry);
    let mt = await spec.layer.mediaType();
    const c = compressionOfMediaType(mt);
    if (c === undefined) throw new OciError(`layer ${await spec.layer.digest()}: media type ${mt} is not a layer`);
    const want = layerMediaType(c, docker);
    const layer = want === mt ? spec.layer : new RelabelledLayer(spec.layer, want);
    mt = want;
    layers.push(layer);
    layerDescs.push({ mediaType: mt, digest: await spec.layer.digest(), size: await spec.layer.size() });
  }
  for (const h of o.emptyHistory ?? []) history.push({ ...h, empty_layer: true });
  const config: ImageConfig = {
    ...base,
    architecture: base.architecture ?? hostArchitecture(),
    os: base.os ?? 'linux',
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: history.map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as HistoryEntry),
  };
  if (config.history!.length === 0) delete config.history;
  const rawC = jsonBytes(config);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: { mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: digestOf(rawC), size: rawC.length },
    layers: layerDescs,
  };
  if (o.annotations && !docker) manifest.annotations = o.annotations;
  return new MemoryImage(jsonBytes(manifest), rawC, layers);
}

/** The same image in the other manifest flavour (config bytes unchanged; media types relabelled). */
export async function convertImage(img: Image, format: ImageFormat): Promise<Image> {
  const m = await img.manifest();
  const isDocker = m.mediaType === MediaType.dockerManifest;
  if (isDocker === (format === 'docker')) return img;
  const rawC = await img.rawConfig();
  const docker = format === 'docker';
  const layers: Layer[] = [];
  const descs: Descriptor[] = [];
  for (const [i, l] of (await img.layers()).entries()) {
    const c = compressionOfMediaType(m.layers[i]!.mediaType);
    if (c === undefined) throw new OciError(`layers[${i}]: media type ${m.layers[i]!.mediaType} cannot be converted`);
    const mt = layerMediaType(c, docker);
    layers.push(new RelabelledLayer(l, mt));
    descs.push({ mediaType: mt, digest: m.layers[i]!.digest, size: m.layers[i]!.size });
  }
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: { mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: m.config.digest, size: m.config.size },
    layers: descs,
  };
  return new MemoryImage(jsonBytes(manifest), rawC, layers);
}

/** Streams a layer's compressed bytes into a store unless present; verifies digest and size on the way. */
export async function putLayer(cs: ContentStore, layer: Layer): Promise<void> {
  const digest = await layer.digest();
  if (await cs.has(digest)) return;
  const r: Readable = await layer.compressed();
  await cs.put(r, { digest, size: await layer.size() }, `layer ${digest}`);
}

/** Writes every blob of an image into a store (layers, config, manifest last); returns the manifest descriptor. */
export async function putImage(cs: ContentStore, img: Image): Promise<Descriptor> {
  for (const l of await img.layers()) await putLayer(cs, l);
  const m = await img.manifest();
  await cs.put(await img.rawConfig(), { digest: m.config.digest, size: m.config.size }, 'image config');
  const desc = await img.descriptor();
  await cs.put(await img.rawManifest(), { digest: desc.digest, size: desc.size }, 'image manifest');
  return desc;
}
