import { createReadStream, existsSync, promises as fsp, statSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { writeImageArchive, type ArchiveFormat } from './archive-writer.js';
import { decompress, sniffCompression } from './compression.js';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import { readImageArchive } from './docker-archive.js';
import { OciError } from './errors.js';
import { extractLayer } from './extract.js';
import { buildImage } from './image-builder.js';
import { normaliseImageName, InvalidReferenceError } from './image-names.js';
import type { LocalStore } from './local-store.js';
import { readOciLayout, writeOciLayout, type IndexedImage } from './oci-layout.js';
import { readLayerTar } from './tar-reader.js';
import { TarFile } from './tar-file.js';
import { storeLayerTar } from './layers.js';
import { treeEntries } from './tree-entries.js';
import { writeLayerTar } from './tar-writer.js';
import type { ContainerConfig } from './types.js';

/** The creation time to record: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
export function creationTime(env: NodeJS.ProcessEnv = process.env): string {
  const s = env.SOURCE_DATE_EPOCH;
  return (s && /^\d+$/.test(s) ? new Date(Number(s) * 1000) : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Options of importRootfs. */
export interface ImportOptions {
  /** Container config of the new image (docker import --change). */
  config?: ContainerConfig;
  /** History comment (docker import --message). */
  message?: string;
}

/**
 * `docker import`: a rootfs tarball (plain, gzip or zstd) becomes a one-layer image named `name`. The tar is
 * kept as given (gzip-compressed on both cores) and checked to be a whole, safe tar before it is named.
 */
export async function importRootfs(store: LocalStore, input: Readable, name: string, opts: ImportOptions = {}, where = 'rootfs'): Promise<Descriptor> {
  const target = normaliseImageName(name);
  const stored = await storeLayerTar(store.content, decompress(input, undefined, where), 'gzip');
  try {
    for await (const e of readLayerTar(await stored.layer.uncompressed(), { source: where })) void e;
  } catch (e) {
    await store.content.delete(stored.descriptor.digest);
    throw e;
  }
  const created = creationTime();
  const history: { created: string; created_by: string; comment?: string } = { created, created_by: 'strata import' };
  if (opts.message) history.comment = opts.message;
  const img = await buildImage({ config: { created, config: opts.config ?? {} }, layers: [{ layer: stored.layer, history }] });
  return store.save(img, [target]);
}

/**
 * `docker export`: the image's merged filesystem (layers applied in order, whiteouts applied) as one tar,
 * written to `out` (a file, through temp and rename) or a stream.
 */
export async function exportImage(store: LocalStore, ref: string, out: string | NodeJS.WritableStream): Promise<void> {
  const img = await store.image(ref);
  const dir = await fsp.mkdtemp(path.join(store.content.tmpDir, 'export-'));
  try {
    for (const [i, l] of (await img.layers()).entries()) {
      const digest = await l.digest();
      await extractLayer(await l.uncompressed(), dir, { source: `${ref} layer ${i} (${digest})` });
    }
    const tar = writeLayerTar(treeEntries(dir));
    if (typeof out !== 'string') {
      for await (const c of tar) if (!out.write(c as Buffer)) await new Promise((r) => out.once('drain', r));
      return;
    }
    const tmp = `${out}.tmp-${process.pid}`;
    const fh = await fsp.open(tmp, 'w', 0o644);
    try {
      try {
        for await (const c of tar) {
          const b = c as Buffer;
          for (let off = 0; off < b.length;) off += (await fh.write(b, off)).bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, out);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Save formats: the archive flavours, or 'oci-dir' for an OCI layout directory. */
export type SaveFormat = ArchiveFormat | 'oci-dir';

/** `docker save`: named images from the store into an archive file (or OCI layout dir). */
export async function saveImages(store: LocalStore, refs: string[], file: string, format: SaveFormat = 'docker'): Promise<void> {
  if (refs.length === 0) throw new OciError('save: no images named');
  const images = [];
  for (const r of refs) {
    const rec = await store.lookup(r);
    const names = /^[a-f0-9]{4,64}$|^sha256:/.test(r) ? [] : [normaliseImageName(r)];
    images.push({ image: await store.image(rec.name), names });
  }
  if (format === 'oci-dir') {
    await writeOciLayout(file, images.flatMap((i) => (i.names.length ? i.names.map((n) => ({ image: i.image, ref: n })) : [{ image: i.image }])));
    return;
  }
  await writeImageArchive(file, images, format, store.content.tmpDir);
}

/** One image load brought in. */
export interface LoadedImage {
  names: string[];
  digest: Digest;
}

function sniffFile(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Names of a loaded image: its own, else `tag` when given. */
function namesFor(it: IndexedImage, tag: string | undefined, where: string): string[] {
  const raw = tag ? [tag] : it.names?.length ? it.names : it.name ? [it.name] : it.ref ? [it.ref] : [];
  if (raw.length === 0) throw new OciError(`${where}: image ${it.descriptor.digest} has no name; give one with --tag`);
  return raw.map((n) => {
    try {
      return normaliseImageName(n);
    } catch (e) {
      if (e instanceof InvalidReferenceError && !tag) throw new OciError(`${where}: image name ${JSON.stringify(n)} is not usable; give one with --tag`);
      throw e;
    }
  });
}

/**
 * `docker load`: every image of a docker-archive (legacy or Docker 25+), oci-archive (plain, gzip or zstd) or
 * OCI layout directory goes into the store, each blob verified. On any failure the blobs this load added are
 * removed again and no name is set.
 */
export async function loadImages(store: LocalStore, file: string, opts: { tag?: string } = {}): Promise<LoadedImage[]> {
  if (!existsSync(file)) throw new OciError(`${file}: no such file`);
  let images: IndexedImage[];
  let spooled: string | undefined;
  try {
    if (statSync(file).isDirectory()) images = readOciLayout(file);
    else {
      let tarPath = file;
      if (sniffCompression(sniffFile(file)) !== 'none') {
        spooled = store.content.tempPath('load');
        const fh = await fsp.open(spooled, 'w');
        try {
          for await (const c of decompress(createReadStream(file), undefined, file)) await fh.write(c as Buffer);
        } finally {
          await fh.close();
        }
        tarPath = spooled;
      }
      images = readImageArchive(TarFile.open(tarPath), file);
    }
    if (opts.tag && images.length !== 1) throw new OciError(`${file}: --tag needs an archive with one image, this has ${images.length}`);
    const plans = images.map((it) => ({ it, names: namesFor(it, opts.tag, file) }));
    const added: Digest[] = [];
    const loaded: LoadedImage[] = [];
    const descs: Descriptor[] = [];
    try {
      for (const { it, names } of plans) {
        const img = await it.open();
        for (const l of await img.layers()) {
          const d = await l.digest();
          if (!(await store.content.has(d))) added.push(d);
        }
        const m = await img.manifest();
        for (const d of [m.config.digest, await img.digest()]) if (!(await store.content.has(d))) added.push(d);
        const desc = await store.save(img);
        descs.push(desc);
        loaded.push({ names, digest: desc.digest });
      }
    } catch (e) {
      for (const d of added) await store.content.delete(d);
      throw e;
    }
    // Names only once every image is whole.
    loaded.forEach((l, i) => l.names.forEach((n) => store.names.set(n, descs[i]!)));
    return loaded;
  } finally {
    if (spooled) await fsp.rm(spooled, { force: true });
  }
}
