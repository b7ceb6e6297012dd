import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Descriptor } from './descriptor.js';
import { digestHex, digestOf, type Digest } from './digest.js';
import { DigestMismatchError } from './errors.js';
import type { Image } from './image.js';
import { jsonBytes } from './image-builder.js';
import type { LayerEntry } from './layer-entry.js';
import { comparePaths } from './layer-path.js';
import { MediaType } from './media-types.js';
import { CONTAINERD_NAME, REF_NAME } from './oci-layout.js';
import { splitImageName } from './image-names.js';
import { writeLayerTar } from './tar-writer.js';
import type { Index, Manifest } from './types.js';

/** Archive flavours `strata save` writes. */
export type ArchiveFormat = 'docker' | 'docker-legacy' | 'oci';

/** An image and the names it is saved under. */
export interface ArchiveImage {
  image: Image;
  names: string[];
}

/** Docker's fully qualified form of a short name: `busybox:latest` → `docker.io/library/busybox:latest`. */
export function fullImageName(name: string): string {
  const first = name.split('/')[0]!;
  const hasHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

interface Member {
  size: number;
  open: () => Readable;
}

/** Collects archive members and writes them as one deterministic tar (sorted, mtime 0). */
class ArchiveBuilder {
  readonly members = new Map<string, Member>();
  add(p: string, data: Buffer): void {
    this.members.set(p, { size: data.length, open: () => Readable.from([data]) });
  }
  addStream(p: string, size: number, open: () => Readable | Promise<Readable>): void {
    this.members.set(p, {
      size,
      open: () => Readable.from((async function* () {
        yield* await open();
      })(), { objectMode: false }),
    });
  }
  entries(): LayerEntry[] {
    const dirs = new Set<string>();
    for (const p of this.members.keys()) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    const all: LayerEntry[] = [];
    for (const d of dirs) all.push({ path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n });
    for (const [p, m] of this.members) all.push({ path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, size: m.size, mtimeNs: 0n, open: m.open });
    return all.sort((a, b) => comparePaths(a.path, b.path));
  }
  /** Writes to `file` through a temp file, fsync and rename. */
  async write(file: string): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await fsp.open(tmp, 'w', 0o644);
    try {
      try {
        for await (const c of writeLayerTar(this.entries(), { recordSize: 10240 })) {
          const b = c as Buffer;
          for (let off = 0; off < b.length;) off += (await fh.write(b, off)).bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }
}

/** Decompresses a layer into a temp file, checking its diff_id; returns the file and size. */
async function uncompressedLayer(img: Image, i: number, tmpDir: string): Promise<{ file: string; size: number; diffId: Digest }> {
  const layer = (await img.layers())[i]!;
  const diffId = await layer.diffId();
  const file = path.join(tmpDir, digestHex(diffId));
  const have = await fsp.stat(file).catch(() => undefined);
  if (have) return { file, size: have.size, diffId };
  const h = createHash('sha256');
  const part = `${file}.part`;
  const fh = await fsp.open(part, 'w');
  let size = 0;
  try {
    for await (const c of await layer.uncompressed()) {
      const b = c as Buffer;
      h.update(b);
      size += b.length;
      for (let off = 0; off < b.length;) off += (await fh.write(b, off)).bytesWritten;
    }
  } finally {
    await fh.close();
  }
  const got = 'sha256:' + h.digest('hex');
  if (got !== diffId) throw new DigestMismatchError(`layer ${await layer.digest()}: uncompressed content hashes to ${got}, config says ${diffId}`);
  await fsp.rename(part, file);
  return { file, size, diffId };
}

/**
 * Writes images as an archive: 'docker' is what Docker 25+ `docker save` writes (an OCI layout with
 * uncompressed layers plus manifest.json and repositories, which older docker load also reads);
 * 'docker-legacy' is the pre-25 form (`<id>/layer.tar`); 'oci' is an OCI layout in a tar (layers as stored).
 */
export async function writeImageArchive(file: string, images: ArchiveImage[], format: ArchiveFormat, tmpRoot = os.tmpdir()): Promise<void> {
  const tmpDir = await fsp.mkdtemp(path.join(tmpRoot, 'save-'));
  try {
    const b = new ArchiveBuilder();
    const index: Index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    const dockerManifest: Array<Record<string, unknown>> = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, names } of images) {
      const m = await image.manifest();
      const rawC = await image.rawConfig();
      const configHex = digestHex(m.config.digest);
      let manifestDesc: Descriptor;
      const layerPaths: string[] = [];
      let parentId = '';
      if (format === 'oci') {
        b.add(`blobs/sha256/${configHex}`, rawC);
        for (const [i, l] of (await image.layers()).entries()) {
          b.addStream(`blobs/sha256/${digestHex(m.layers[i]!.digest)}`, m.layers[i]!.size, () => l.compressed());
        }
        const raw = await image.rawManifest();
        b.add(`blobs/sha256/${digestHex(digestOf(raw))}`, raw);
        manifestDesc = await image.descriptor();
      } else {
        const layerDescs: Descriptor[] = [];
        for (let i = 0; i < m.layers.length; i++) {
          const u = await uncompressedLayer(image, i, tmpDir);
          let p = `blobs/sha256/${digestHex(u.diffId)}`;
          if (format === 'docker-legacy') {
            // v1 layer ids only need to be unique per chain; derive them from the chain as docker did.
            const id = digestHex(digestOf(`${parentId} ${u.diffId}`));
            p = `${id}/layer.tar`;
            const v1: Record<string, unknown> = { id, created: '1970-01-01T00:00:00Z' };
            if (parentId) v1.parent = parentId;
            b.add(`${id}/VERSION`, Buffer.from('1.0'));
            b.add(`${id}/json`, jsonBytes(v1));
            parentId = id;
          }
          b.addStream(p, u.size, () => createReadStream(u.file, { highWaterMark: 1 << 20 }));
          layerPaths.push(p);
          layerDescs.push({ mediaType: MediaType.ociLayer, digest: u.diffId, size: u.size });
        }
        const configPath = format === 'docker' ? `blobs/sha256/${configHex}` : `${configHex}.json`;
        b.add(configPath, rawC);
        const om: Manifest = {
          schemaVersion: 2, mediaType: MediaType.ociManifest,
          config: { mediaType: MediaType.ociConfig, digest: m.config.digest, size: rawC.length }, layers: layerDescs,
        };
        const raw = jsonBytes(om);
        if (format === 'docker') b.add(`blobs/sha256/${digestHex(digestOf(raw))}`, raw);
        manifestDesc = { mediaType: MediaType.ociManifest, digest: digestOf(raw), size: raw.length };
        dockerManifest.push({ Config: configPath, RepoTags: names.length ? names : null, Layers: layerPaths });
        for (const n of names) {
          const { repository, tag } = splitImageName(n);
          const last = layerPaths.length ? (format === 'docker' ? digestHex(layerDescs.at(-1)!.digest) : parentId) : '';
          (repositories[repository] ??= {})[tag] = last;
        }
      }
      const refs = names.length ? names : [undefined];
      for (const n of refs) {
        const d: Descriptor = { mediaType: manifestDesc.mediaType, digest: manifestDesc.digest, size: manifestDesc.size };
        if (n) d.annotations = { [CONTAINERD_NAME]: fullImageName(n), [REF_NAME]: format === 'oci' ? n : splitImageName(n).tag };
        index.manifests.push(d);
      }
    }
    if (format !== 'docker-legacy') {
      b.add('index.json', jsonBytes(index));
      b.add('oci-layout', jsonBytes({ imageLayoutVersion: '1.0.0' }));
    }
    if (format !== 'oci') {
      b.add('manifest.json', jsonBytes(dockerManifest));
      b.add('repositories', jsonBytes(repositories));
    }
    await b.write(file);
  } finally {
    await fsp.rm(tmpDir, { recursive: true, force: true });
  }
}
