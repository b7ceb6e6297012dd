import { isDigest } from './digest.js';
import type { Descriptor } from './descriptor.js';
import { OciError } from './errors.js';
import { MediaType } from './media-types.js';
import type { ImageConfig, Index, Manifest } from './types.js';

/** A manifest, index or config that is malformed; the message names the document and the field. */
export class ValidationError extends OciError {
  override name = 'ValidationError';
}

type Json = Record<string, unknown>;

function fail(where: string, field: string, what: string): never {
  throw new ValidationError(`${where}: ${field}: ${what}`);
}

/** Parses JSON bytes into an object, one-line error on malformed JSON. */
export function parseJsonObject(raw: Buffer | string, where: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (e) {
    throw new ValidationError(`${where}: malformed JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${where}: not a JSON object`);
  return v as Json;
}

function checkStringMap(v: unknown, where: string, field: string): void {
  if (v === undefined) return;
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(where, field, 'must be an object of strings');
  for (const [k, x] of Object.entries(v as Json)) if (typeof x !== 'string') fail(where, `${field}.${k}`, 'must be a string');
}

/** Checks one descriptor; `field` is its path in the document, e.g. `layers[2]`. */
export function checkDescriptor(v: unknown, where: string, field: string): Descriptor {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(where, field, 'must be a descriptor object');
  const d = v as Json;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') fail(where, `${field}.mediaType`, 'missing or not a string');
  if (!isDigest(d.digest)) fail(where, `${field}.digest`, `invalid digest ${JSON.stringify(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) fail(where, `${field}.size`, `invalid size ${JSON.stringify(d.size)}`);
  checkStringMap(d.annotations, where, `${field}.annotations`);
  if (d.platform !== undefined) {
    const p = d.platform as Json;
    if (!p || typeof p.architecture !== 'string' || typeof p.os !== 'string') fail(where, `${field}.platform`, 'needs architecture and os strings');
  }
  return d as unknown as Descriptor;
}

const MANIFEST_TYPES = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);
const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);

/** True when a media type names an image manifest (OCI or Docker schema 2). */
export function isManifestType(mt: string | undefined): boolean {
  return mt !== undefined && MANIFEST_TYPES.has(mt);
}

/** True when a media type names an index / manifest list. */
export function isIndexType(mt: string | undefined): boolean {
  return mt !== undefined && INDEX_TYPES.has(mt);
}

/** The media type of a manifest-or-index document, from its own field or its shape (OCI lets it be absent). */
export function documentMediaType(doc: Json): string {
  if (typeof doc.mediaType === 'string') return doc.mediaType;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  return MediaType.ociManifest;
}

/** Validates an image manifest (OCI or Docker schema 2). */
export function parseManifest(raw: Buffer | string, where = 'manifest'): Manifest {
  const m = parseJsonObject(raw, where);
  if (m.schemaVersion !== 2) fail(where, 'schemaVersion', `must be 2, got ${JSON.stringify(m.schemaVersion)}`);
  const mt = documentMediaType(m);
  if (!MANIFEST_TYPES.has(mt)) fail(where, 'mediaType', `${mt} is not an image manifest`);
  checkDescriptor(m.config, where, 'config');
  if (!Array.isArray(m.layers)) fail(where, 'layers', 'missing or not an array');
  (m.layers as unknown[]).forEach((l, i) => checkDescriptor(l, where, `layers[${i}]`));
  if (m.subject !== undefined) checkDescriptor(m.subject, where, 'subject');
  checkStringMap(m.annotations, where, 'annotations');
  return m as unknown as Manifest;
}

/** Validates an image index or Docker manifest list. */
export function parseIndex(raw: Buffer | string, where = 'index'): Index {
  const m = parseJsonObject(raw, where);
  if (m.schemaVersion !== 2) fail(where, 'schemaVersion', `must be 2, got ${JSON.stringify(m.schemaVersion)}`);
  const mt = documentMediaType(m);
  if (!INDEX_TYPES.has(mt)) fail(where, 'mediaType', `${mt} is not an index`);
  if (!Array.isArray(m.manifests)) fail(where, 'manifests', 'missing or not an array');
  (m.manifests as unknown[]).forEach((d, i) => checkDescriptor(d, where, `manifests[${i}]`));
  checkStringMap(m.annotations, where, 'annotations');
  return m as unknown as Index;
}

function checkStringArray(v: unknown, where: string, field: string, nullable = false): void {
  if (v === undefined || (nullable && v === null)) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(where, field, 'must be an array of strings');
}

/** Validates an image config (OCI and Docker share this shape). */
export function parseConfig(raw: Buffer | string, where = 'config'): ImageConfig {
  const c = parseJsonObject(raw, where);
  if (typeof c.architecture !== 'string' || c.architecture === '') fail(where, 'architecture', 'missing or not a string');
  if (typeof c.os !== 'string' || c.os === '') fail(where, 'os', 'missing or not a string');
  if (c.created !== undefined && (typeof c.created !== 'string' || Number.isNaN(Date.parse(c.created)))) fail(where, 'created', 'not an RFC 3339 time');
  const rootfs = c.rootfs as Json | undefined;
  if (!rootfs || typeof rootfs !== 'object') fail(where, 'rootfs', 'missing');
  if (rootfs.type !== 'layers') fail(where, 'rootfs.type', `must be "layers", got ${JSON.stringify(rootfs.type)}`);
  if (!Array.isArray(rootfs.diff_ids)) fail(where, 'rootfs.diff_ids', 'missing or not an array');
  (rootfs.diff_ids as unknown[]).forEach((d, i) => {
    if (!isDigest(d)) fail(where, `rootfs.diff_ids[${i}]`, `invalid digest ${JSON.stringify(d)}`);
  });
  if (c.history !== undefined) {
    if (!Array.isArray(c.history)) fail(where, 'history', 'must be an array');
    (c.history as unknown[]).forEach((h, i) => {
      if (!h || typeof h !== 'object') fail(where, `history[${i}]`, 'must be an object');
      const e = (h as Json).empty_layer;
      if (e !== undefined && typeof e !== 'boolean') fail(where, `history[${i}].empty_layer`, 'must be a boolean');
    });
    const nonEmpty = (c.history as Json[]).filter((h) => !h.empty_layer).length;
    if (nonEmpty !== (rootfs.diff_ids as unknown[]).length) {
      fail(where, 'history', `${nonEmpty} non-empty entries for ${(rootfs.diff_ids as unknown[]).length} layers`);
    }
  }
  const cc = c.config as Json | undefined;
  if (cc !== undefined && cc !== null) {
    if (typeof cc !== 'object') fail(where, 'config', 'must be an object');
    checkStringArray(cc.Env, where, 'config.Env');
    checkStringArray(cc.Entrypoint, where, 'config.Entrypoint', true);
    checkStringArray(cc.Cmd, where, 'config.Cmd', true);
    checkStringMap(cc.Labels, where, 'config.Labels');
    if (cc.User !== undefined && typeof cc.User !== 'string') fail(where, 'config.User', 'must be a string');
    if (cc.WorkingDir !== undefined && typeof cc.WorkingDir !== 'string') fail(where, 'config.WorkingDir', 'must be a string');
  }
  return c as unknown as ImageConfig;
}

/** Checks a manifest against its config: one diff_id per layer. */
export function checkManifestConfig(m: Manifest, c: ImageConfig, where: string): void {
  if (m.layers.length !== c.rootfs.diff_ids.length) {
    throw new ValidationError(`${where}: ${m.layers.length} layers in the manifest but ${c.rootfs.diff_ids.length} rootfs.diff_ids in the config`);
  }
}
