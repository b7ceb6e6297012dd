import type { Descriptor, Digest, Image, ImageConfig, Manifest } from '@strata/oci';
import { InspectError, oneLine } from './errors.js';

/** One history entry of an image config, tied to the layer it made (if any). */
export interface HistoryRow {
  index: number;
  created?: string;
  createdBy: string;
  comment?: string;
  author?: string;
  /** True when the entry made no layer (ENV, CMD, ...). */
  emptyLayer: boolean;
  /** Index of the layer this entry made, when it made one. */
  layer?: number;
}

/** One layer of an image, as the manifest and config describe it. */
export interface LayerInfo {
  index: number;
  digest: Digest;
  diffId: Digest;
  mediaType: string;
  /** Size of the blob as stored (compressed). */
  size: number;
  /** The history entry that made this layer, when the config's history accounts for it. */
  history?: HistoryRow;
}

/** Everything about an image that does not need its layers' bytes. */
export interface ImageMeta {
  ref: string;
  digest: Digest;
  descriptor: Descriptor;
  manifest: Manifest;
  config: ImageConfig;
  rawManifest: Buffer;
  rawConfig: Buffer;
  layers: LayerInfo[];
  history: HistoryRow[];
}

/** Reads an image's manifest and config and ties history entries to layers; throws one line naming `ref`. */
export async function readMeta(ref: string, image: Image): Promise<ImageMeta> {
  let manifest: Manifest, config: ImageConfig, rawManifest: Buffer, rawConfig: Buffer, descriptor: Descriptor;
  try {
    [rawManifest, manifest, descriptor] = await Promise.all([image.rawManifest(), image.manifest(), image.descriptor()]);
    [rawConfig, config] = await Promise.all([image.rawConfig(), image.config()]);
  } catch (e) {
    throw new InspectError(`${ref}: ${oneLine(e)}`);
  }
  if (!manifest || !Array.isArray(manifest.layers)) throw new InspectError(`${ref}: malformed manifest: no layers list`);
  const diffIds = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) throw new InspectError(`${ref}: malformed image config: no rootfs.diff_ids`);
  if (diffIds.length !== manifest.layers.length) {
    throw new InspectError(`${ref}: malformed image: manifest lists ${manifest.layers.length} layers but config has ${diffIds.length} diff_ids`);
  }
  const history = historyRows(config);
  const layers: LayerInfo[] = manifest.layers.map((d, i) => ({
    index: i, digest: d.digest, diffId: diffIds[i]!, mediaType: d.mediaType, size: d.size,
  }));
  for (const h of history) if (h.layer !== undefined && layers[h.layer]) layers[h.layer]!.history = h;
  return { ref, digest: descriptor.digest, descriptor, manifest, config, rawManifest, rawConfig, layers, history };
}

/** The config's history, each non-empty entry tied to the next layer in order. */
export function historyRows(config: ImageConfig): HistoryRow[] {
  let layer = 0;
  const layerCount = config.rootfs?.diff_ids?.length ?? 0;
  return (config.history ?? []).map((h, index) => {
    const row: HistoryRow = { index, createdBy: h.created_by ?? '', emptyLayer: h.empty_layer === true };
    if (h.created !== undefined) row.created = h.created;
    if (h.comment !== undefined) row.comment = h.comment;
    if (h.author !== undefined) row.author = h.author;
    if (!row.emptyLayer && layer < layerCount) row.layer = layer++;
    return row;
  });
}

/** A short label for a layer: its history entry's instruction, else its index. */
export function layerLabel(l: LayerInfo): string {
  return l.history?.createdBy ? l.history.createdBy : `layer ${l.index}`;
}
