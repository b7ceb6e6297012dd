import type { ImageMeta } from './image-meta.js';

/** One row of `strata history`: a history entry, its layer when it made one, or a layer no entry accounts for. */
export interface HistoryView {
  index?: number;
  created?: string;
  createdBy: string;
  comment?: string;
  emptyLayer: boolean;
  layer?: { index: number; digest: string; diffId: string; size: number; mediaType: string };
}

/** The image's history with each entry's layer; layers beyond the history are listed with no entry. */
export function historyView(meta: ImageMeta): HistoryView[] {
  const rows: HistoryView[] = meta.history.map((h) => {
    const r: HistoryView = { index: h.index, createdBy: h.createdBy, emptyLayer: h.emptyLayer };
    if (h.created !== undefined) r.created = h.created;
    if (h.comment !== undefined) r.comment = h.comment;
    const l = h.layer !== undefined ? meta.layers[h.layer] : undefined;
    if (l) r.layer = { index: l.index, digest: l.digest, diffId: l.diffId, size: l.size, mediaType: l.mediaType };
    return r;
  });
  for (const l of meta.layers) {
    if (l.history) continue;
    rows.push({ createdBy: '', emptyLayer: false, layer: { index: l.index, digest: l.digest, diffId: l.diffId, size: l.size, mediaType: l.mediaType } });
  }
  return rows;
}
