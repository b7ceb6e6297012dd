import { promises as fsp, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ContentStore, type BlobSource } from './content-store.js';
import type { Descriptor, Platform } from './descriptor.js';
import { OciError, NotFoundError } from './errors.js';
import type { Image } from './image.js';
import { jsonBytes, putImage } from './image-builder.js';
import { MediaType } from './media-types.js';
import { openStoreImage } from './store-image.js';
import type { Index } from './types.js';
import { parseIndex, parseJsonObject } from './validate.js';

/** Annotation naming an image in an OCI layout's index.json. */
export const REF_NAME = 'org.opencontainers.image.ref.name';
/** Annotation containerd and Docker 25+ use for the full image name. */
export const CONTAINERD_NAME = 'io.containerd.image.name';

/** One image listed in a layout or archive index. */
export interface IndexedImage {
  /** `org.opencontainers.image.ref.name`, if any. */
  ref?: string;
  /** The full name (`io.containerd.image.name`, else a ref.name that is a full name). */
  name?: string;
  /** Every name the source gives the image (docker-archive RepoTags). */
  names?: string[];
  descriptor: Descriptor;
  /** Opens the image (an index resolves to `platform`). */
  open(platform?: Platform): Promise<Image>;
}

/** The entries of an index.json read from any blob source (layout dir or archive). */
export function indexedImages(rawIndex: Buffer, blobs: BlobSource, where: string): IndexedImage[] {
  const index = parseIndex(rawIndex, `${where}: index.json`);
  return index.manifests.map((d, i) => {
    const ref = d.annotations?.[REF_NAME];
    const full = d.annotations?.[CONTAINERD_NAME];
    const it: IndexedImage = {
      descriptor: d,
      open: (platform?: Platform) => openStoreImage(blobs, d, `${where}${ref ? ':' + ref : `[${i}]`}`, platform),
    };
    if (ref) it.ref = ref;
    if (full) it.name = full;
    else if (ref && /[:/]/.test(ref)) it.name = ref;
    return it;
  });
}

/** Reads an OCI image layout directory: its images by index.json entry. Blobs are verified as read. */
export function readOciLayout(dir: string): IndexedImage[] {
  const layoutFile = path.join(dir, 'oci-layout');
  if (!existsSync(layoutFile)) throw new NotFoundError(`${dir}: not an OCI layout (no oci-layout file)`);
  const v = parseJsonObject(readFileSync(layoutFile), `${dir}/oci-layout`);
  if (typeof v.imageLayoutVersion !== 'string') throw new OciError(`${dir}/oci-layout: imageLayoutVersion missing`);
  const idx = path.join(dir, 'index.json');
  if (!existsSync(idx)) throw new NotFoundError(`${dir}: OCI layout without index.json`);
  return indexedImages(readFileSync(idx), new ContentStore(dir, { readOnly: true }), dir);
}

/** Finds one image in a layout by ref name (or full name); the only image when `ref` is not given. */
export function pickImage(images: IndexedImage[], ref: string | undefined, where: string): IndexedImage {
  if (ref === undefined) {
    if (images.length === 1) return images[0]!;
    throw new OciError(`${where}: holds ${images.length} images; name one`);
  }
  const hit = images.find((i) => i.ref === ref || i.name === ref);
  if (!hit) throw new NotFoundError(`${where}: no image named ${ref}`);
  return hit;
}

async function writeFileAtomic(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fsp.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}

/** An image to write with the names it carries in the index. */
export interface NamedImage {
  image: Image;
  /** Value of org.opencontainers.image.ref.name. */
  ref?: string;
  /** Value of io.containerd.image.name. */
  name?: string;
}

/**
 * Writes images into an OCI layout directory (created if absent, else added to): blobs through a temp file
 * and rename, then index.json replaced atomically; an entry with the same ref name is replaced.
 */
export async function writeOciLayout(dir: string, images: NamedImage[]): Promise<Descriptor[]> {
  await fsp.mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const cs = new ContentStore(dir, { tmpDir: path.join(dir, 'blobs') });
  const idxPath = path.join(dir, 'index.json');
  const index: Index = existsSync(idxPath) ? parseIndex(readFileSync(idxPath), `${dir}/index.json`) : { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  index.mediaType ??= MediaType.ociIndex;
  const out: Descriptor[] = [];
  for (const n of images) {
    const d = await putImage(cs, n.image);
    const desc: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
    const ann: Record<string, string> = {};
    if (n.name) ann[CONTAINERD_NAME] = n.name;
    if (n.ref) ann[REF_NAME] = n.ref;
    if (Object.keys(ann).length) desc.annotations = ann;
    if (n.ref) index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== n.ref);
    index.manifests.push(desc);
    out.push(desc);
  }
  await writeFileAtomic(path.join(dir, 'oci-layout'), jsonBytes({ imageLayoutVersion: '1.0.0' }));
  await writeFileAtomic(idxPath, jsonBytes(index));
  return out;
}
