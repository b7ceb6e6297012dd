import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { digestOf, digestHex, LocalStore, MediaType, writeLayerTar, type Image, type Manifest } from '@strata/oci';
import { push } from '@strata/registry';
import { file } from './entries.js';
import { collect } from './memory-image.js';
import type { MemoryImage } from './memory-image.js';

/** Saves an image in a local store under `name`. */
export async function saveLocal(root: string, image: Image, name: string): Promise<void> {
  const store = new LocalStore(root);
  try {
    await store.save(image, [name]);
  } finally {
    store.close();
  }
}

/** Pushes an image to a registry on this machine (plain http). */
export async function pushTo(host: string, image: Image, repoTag: string): Promise<string> {
  await push(image, `${host}/${repoTag}`, { insecure: true });
  return `${host}/${repoTag}`;
}

/** Writes an OCI image layout directory holding `image` under `tag`, as skopeo or buildah would. */
export async function writeLayout(dir: string, image: MemoryImage, tag: string): Promise<void> {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const blob = (data: Buffer) => writeFileSync(path.join(dir, 'blobs', 'sha256', digestHex(digestOf(data))), data);
  blob(image.manifestBytes);
  blob(image.configBytes);
  for (const l of image.layerList) blob(l.blob);
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const desc = await image.descriptor();
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [{ ...desc, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** The two layouts `docker save` writes: before Docker 25 (`<id>/layer.tar`) and since (an OCI layout inside). */
export type ArchiveForm = 'legacy' | 'oci';

/**
 * Writes a `docker save` tarball of `image` named `name` (repo:tag). Layers go in uncompressed, as docker
 * writes them; the OCI form carries a manifest listing those uncompressed layers, so its digest differs.
 */
export async function writeDockerArchive(out: string, image: MemoryImage, name: string, form: ArchiveForm): Promise<void> {
  const tars = image.layerList.map((l) => (l.type.endsWith('gzip') ? gunzipSync(l.blob) : l.blob));
  const members: [string, Buffer][] = [];
  const [repo, tag] = [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)];
  const configHex = digestHex(digestOf(image.configBytes));
  if (form === 'legacy') {
    const ids = tars.map((t) => digestHex(digestOf(t)));
    members.push([`${configHex}.json`, image.configBytes]);
    tars.forEach((t, i) => {
      members.push([`${ids[i]}/layer.tar`, t], [`${ids[i]}/VERSION`, Buffer.from('1.0')],
        [`${ids[i]}/json`, Buffer.from(JSON.stringify({ id: ids[i], ...(i > 0 ? { parent: ids[i - 1] } : {}) }))]);
    });
    members.push(['manifest.json', Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [name], Layers: ids.map((id) => `${id}/layer.tar`) }]))]);
    members.push(['repositories', Buffer.from(JSON.stringify({ [repo]: { [tag]: ids[ids.length - 1] } }))]);
  } else {
    const manifest: Manifest = {
      schemaVersion: 2, mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digestOf(image.configBytes), size: image.configBytes.length },
      layers: tars.map((t) => ({ mediaType: MediaType.ociLayer, digest: digestOf(t), size: t.length })),
    };
    const mBytes = Buffer.from(JSON.stringify(manifest));
    const blob = (b: Buffer) => members.push([`blobs/sha256/${digestHex(digestOf(b))}`, b]);
    blob(mBytes);
    blob(image.configBytes);
    tars.forEach(blob);
    members.push(['index.json', Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: digestOf(mBytes), size: mBytes.length,
        annotations: { 'io.containerd.image.name': `docker.io/library/${name}`, 'org.opencontainers.image.ref.name': tag } }],
    }))]);
    members.push(['oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))]);
    members.push(['manifest.json', Buffer.from(JSON.stringify([{
      Config: `blobs/sha256/${configHex}`, RepoTags: [name], Layers: tars.map((t) => `blobs/sha256/${digestHex(digestOf(t))}`),
    }]))]);
    members.push(['repositories', Buffer.from(JSON.stringify({ [repo]: { [tag]: digestHex(digestOf(tars[tars.length - 1]!)) } }))]);
  }
  const unique = new Map(members);
  const dirs = new Set<string>();
  for (const p of unique.keys()) for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  const entries = [...[...dirs].map((d) => ({ path: d, type: 'dir' as const, mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n })),
    ...[...unique].map(([p, data]) => file(p, data))];
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  writeFileSync(out, await collect(writeLayerTar(entries)));
}
