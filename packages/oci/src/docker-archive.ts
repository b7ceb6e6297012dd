import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { compressionOfMediaType, layerMediaType, sniffCompression } from './compression.js';
import { VerifyingStream } from './content-store.js';
import type { Descriptor, Platform } from './descriptor.js';
import { digestOf, isDigest, type Digest } from './digest.js';
import { NotFoundError, OciError } from './errors.js';
import type { Image, Layer } from './image.js';
import { jsonBytes, MemoryImage } from './image-builder.js';
import { CallbackLayer } from './layers.js';
import { MediaType } from './media-types.js';
import { indexedImages, type IndexedImage } from './oci-layout.js';
import { openStoreImage, defaultPlatform } from './store-image.js';
import type { TarFile } from './tar-file.js';
import type { Index, Manifest } from './types.js';
import { checkDescriptor, isIndexType, parseConfig, parseIndex, parseJsonObject, parseManifest, documentMediaType, ValidationError } from './validate.js';

/** One entry of a docker-archive's manifest.json. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, Descriptor>;
}

/** Parses manifest.json of a docker-archive. */
export function parseDockerArchiveManifest(raw: Buffer, where: string): DockerArchiveEntry[] {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new ValidationError(`${where}: malformed JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(v)) throw new ValidationError(`${where}: must be a JSON array`);
  return v.map((e: unknown, i) => {
    const x = e as Record<string, unknown>;
    if (!x || typeof x.Config !== 'string') throw new ValidationError(`${where}: [${i}].Config: missing or not a string`);
    if (!Array.isArray(x.Layers) || x.Layers.some((l) => typeof l !== 'string')) throw new ValidationError(`${where}: [${i}].Layers: must be an array of paths`);
    if (x.RepoTags != null && (!Array.isArray(x.RepoTags) || x.RepoTags.some((t) => typeof t !== 'string'))) {
      throw new ValidationError(`${where}: [${i}].RepoTags: must be an array of names`);
    }
    return x as unknown as DockerArchiveEntry;
  });
}

/** The config digest a manifest.json Config path names (`<hex>.json` or `blobs/sha256/<hex>`), if it does. */
function configDigestOfPath(p: string): Digest | undefined {
  const hex = posix.basename(p).replace(/\.json$/, '');
  const d = `sha256:${hex}`;
  return isDigest(d) ? d : undefined;
}

/** In a Docker 25+ archive, the manifest (from index.json via blobs) whose config is `config`. */
async function findOciManifest(tar: TarFile, config: Digest, where: string, platform: Platform): Promise<Image | undefined> {
  if (!tar.exists('index.json')) return undefined;
  const visit = async (descs: Descriptor[]): Promise<Image | undefined> => {
    for (const d of descs) {
      if (!(await tar.has(d.digest))) continue;
      const raw = await tar.readBuffer(d.digest);
      const mt = documentMediaType(parseJsonObject(raw, `${where}: blob ${d.digest}`));
      if (isIndexType(mt)) {
        const found = await visit((parseIndex(raw, `${where}: ${d.digest}`) as Index).manifests);
        if (found) return found;
      } else if (parseManifest(raw, `${where}: ${d.digest}`).config.digest === config) {
        return openStoreImage(tar, { ...d, mediaType: mt }, where, platform);
      }
    }
    return undefined;
  };
  return visit(parseIndex(tar.read('index.json'), `${where}: index.json`).manifests);
}

/** A legacy `docker save` image: config file plus layer.tar files, given a synthesised schema 2 manifest. */
async function legacyImage(tar: TarFile, e: DockerArchiveEntry, where: string): Promise<Image> {
  if (!tar.exists(e.Config)) throw new NotFoundError(`${where}: archive is missing ${e.Config}`);
  const rawC = tar.read(e.Config);
  const cfg = parseConfig(rawC, `${where}: ${e.Config}`);
  if (cfg.rootfs.diff_ids.length !== e.Layers.length) {
    throw new ValidationError(`${where}: manifest.json lists ${e.Layers.length} layers but ${e.Config} has ${cfg.rootfs.diff_ids.length} diff_ids`);
  }
  const layers: Layer[] = [];
  const descs: Descriptor[] = [];
  for (const [i, p] of e.Layers.entries()) {
    const m = tar.member(p);
    if (!m) throw new NotFoundError(`${where}: archive is missing layer ${p}`);
    const diffId = cfg.rootfs.diff_ids[i]!;
    const first = await firstBytes(tar.stream(p));
    const comp = sniffCompression(first);
    const digest = comp === 'none' ? diffId : await tar.hash(p);
    const desc: Descriptor = { mediaType: layerMediaType(comp, comp !== 'zstd'), digest, size: m.size };
    if (comp === 'none') checkDescriptor(desc, where, `Layers[${i}]`);
    descs.push(desc);
    layers.push(new CallbackLayer(desc, diffId, async () => {
      const v = new VerifyingStream(digest, m.size, `${where}: ${p}`);
      const s = tar.stream(p);
      s.on('error', (err) => v.destroy(err));
      return s.pipe(v);
    }));
  }
  const zstd = descs.some((d) => compressionOfMediaType(d.mediaType) === 'zstd');
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: zstd ? MediaType.ociManifest : MediaType.dockerManifest,
    config: { mediaType: zstd ? MediaType.ociConfig : MediaType.dockerConfig, digest: digestOf(rawC), size: rawC.length },
    layers: descs,
  };
  const want = configDigestOfPath(e.Config);
  if (want && want !== manifest.config.digest) throw new OciError(`${where}: ${e.Config} hashes to ${manifest.config.digest}`);
  return new MemoryImage(jsonBytes(manifest), rawC, layers, where);
}

async function firstBytes(r: Readable): Promise<Buffer> {
  for await (const c of r) {
    r.destroy();
    return c as Buffer;
  }
  return Buffer.alloc(0);
}

/**
 * The images of an archive tar: a docker-archive (legacy `docker save`, or Docker 25+'s OCI layout in a tar
 * with manifest.json) or an oci-archive (OCI layout in a tar). Names come from RepoTags or the index
 * annotations. Nothing is read beyond the headers until an image is opened.
 */
export function readImageArchive(tar: TarFile, where = tar.file): IndexedImage[] {
  if (tar.exists('manifest.json')) {
    const entries = parseDockerArchiveManifest(tar.read('manifest.json'), `${where}: manifest.json`);
    return entries.map((e) => {
      const cfg = configDigestOfPath(e.Config);
      const it: IndexedImage = {
        descriptor: { mediaType: MediaType.dockerManifest, digest: cfg ?? digestOf(e.Config), size: 0 },
        open: async (platform?: Platform) => (cfg && (await findOciManifest(tar, cfg, where, platform ?? defaultPlatform()))) || legacyImage(tar, e, where),
      };
      const names = e.RepoTags ?? [];
      if (names[0]) it.name = names[0];
      it.names = names;
      return it;
    });
  }
  if (tar.exists('index.json')) {
    if (!tar.exists('oci-layout')) throw new OciError(`${where}: has index.json but no oci-layout file`);
    return indexedImages(tar.read('index.json'), tar, where).map((i) => ({ ...i, names: i.name ? [i.name] : [] }));
  }
  throw new OciError(`${where}: not a docker-archive or oci-archive (no manifest.json or index.json)`);
}
