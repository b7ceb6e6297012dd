import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import {
  comparePaths, digestOf, MediaType, writeLayerTar,
  type Descriptor, type Digest, type HistoryEntry, type Image, type ImageConfig, type Layer, type LayerEntry, type Manifest,
} from '@strata/oci';

/** A layer held in memory: gzip blob plus its uncompressed tar. */
export class MemoryLayer implements Layer {
  readonly blobDigest: Digest;
  readonly tarDigest: Digest;
  constructor(readonly tar: Buffer, readonly blob: Buffer = gzipSync(tar), readonly type: string = MediaType.ociLayerGzip) {
    this.blobDigest = digestOf(blob);
    this.tarDigest = digestOf(tar);
  }
  async digest() { return this.blobDigest; }
  async diffId() { return this.tarDigest; }
  async size() { return this.blob.length; }
  async mediaType() { return this.type; }
  async compressed() { return Readable.from([this.blob]); }
  async uncompressed() { return Readable.from(this.type.endsWith('gzip') ? [gunzipSync(this.blob)] : [this.blob]); }
  descriptor(): Descriptor { return { mediaType: this.type, digest: this.blobDigest, size: this.blob.length }; }
}

/** An image held in memory; the manifest and config bytes are the source of truth. */
export class MemoryImage implements Image {
  constructor(readonly manifestBytes: Buffer, readonly configBytes: Buffer, readonly layerList: MemoryLayer[]) {}
  async rawManifest() { return this.manifestBytes; }
  async manifest() { return JSON.parse(this.manifestBytes.toString()) as Manifest; }
  async rawConfig() { return this.configBytes; }
  async config() { return JSON.parse(this.configBytes.toString()) as ImageConfig; }
  async layers(): Promise<Layer[]> { return this.layerList; }
  async digest() { return digestOf(this.manifestBytes); }
  async descriptor(): Promise<Descriptor> { return { mediaType: MediaType.ociManifest, digest: digestOf(this.manifestBytes), size: this.manifestBytes.length }; }
}

/** Reads a stream into one buffer. */
export async function collect(s: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A layer tar from entries (sorted here, as the writer requires; a directory's opaque marker stays after it). */
export async function layerTar(entries: LayerEntry[]): Promise<Buffer> {
  const rank = (e: LayerEntry) => (e.type === 'opaque' ? 1 : 0);
  const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path) || rank(a) - rank(b));
  return collect(writeLayerTar(sorted));
}

/** One step of a fixture image: a history entry and, unless empty, the entries of its layer. */
export interface Step {
  createdBy: string;
  entries?: LayerEntry[];
  /** A prebuilt layer (for hand-made tars). */
  layer?: MemoryLayer;
}

/** Builds an OCI image from steps; steps without entries are empty-layer history entries. */
export async function buildImage(steps: Step[], opts: { created?: string; uncompressed?: boolean } = {}): Promise<MemoryImage> {
  const layers: MemoryLayer[] = [];
  const history: HistoryEntry[] = [];
  const created = opts.created ?? '2024-01-02T03:04:05Z';
  for (const s of steps) {
    if (!s.entries && !s.layer) {
      history.push({ created, created_by: s.createdBy, empty_layer: true });
      continue;
    }
    const tar = s.layer ? undefined : await layerTar(s.entries!);
    const layer = s.layer ?? (opts.uncompressed ? new MemoryLayer(tar!, tar!, MediaType.ociLayer) : new MemoryLayer(tar!));
    layers.push(layer);
    history.push({ created, created_by: s.createdBy });
  }
  const config: ImageConfig = {
    architecture: 'amd64', os: 'linux', created,
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/app' },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.tarDigest) },
    history,
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: Manifest = {
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf(configBytes), size: configBytes.length },
    layers: layers.map((l) => l.descriptor()),
  };
  return new MemoryImage(Buffer.from(JSON.stringify(manifest)), configBytes, layers);
}
