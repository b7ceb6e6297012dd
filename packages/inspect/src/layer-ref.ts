import { InspectError } from './errors.js';
import type { ImageMeta } from './image-meta.js';

/** `IMAGE#N` or `IMAGE#DIGEST` (a layer of an image, for `strata diff`), else just an image. */
export function splitLayerRef(ref: string): { image: string; layer?: string } {
  const i = ref.lastIndexOf('#');
  if (i <= 0) return { image: ref };
  return { image: ref.slice(0, i), layer: ref.slice(i + 1) };
}

/**
 * The index of the layer `spec` names: a 0-based index, or a blob digest or diff ID, whole or as a unique
 * hex prefix of at least 4 digits.
 */
export function resolveLayer(meta: ImageMeta, spec: string): number {
  const n = meta.layers.length;
  if (/^\d+$/.test(spec)) {
    const i = Number(spec);
    if (i >= n) throw new InspectError(`${meta.ref}: no layer ${i} (the image has ${n} layer${n === 1 ? '' : 's'}, 0..${n - 1})`);
    return i;
  }
  const hex = spec.replace(/^sha256:/, '').toLowerCase();
  if (!/^[a-f0-9]{4,64}$/.test(hex)) throw new InspectError(`${meta.ref}: ${JSON.stringify(spec)} is neither a layer index nor a digest`);
  const hits = new Set(meta.layers.filter((l) => l.digest.slice(7).startsWith(hex) || l.diffId.slice(7).startsWith(hex)).map((l) => l.index));
  if (hits.size === 0) throw new InspectError(`${meta.ref}: no layer with digest or diff ID ${spec}`);
  if (hits.size > 1) throw new InspectError(`${meta.ref}: ${spec} matches ${hits.size} layers; give more digits`);
  return [...hits][0]!;
}
