import type { LayerInfo } from './image-meta.js';

/** How a layer of A relates to one of B. */
export type AlignStatus = 'same' | 'rebuilt' | 'only-a' | 'only-b';

/** One row of a layer alignment: a layer of A, of B, or a pair. */
export interface AlignedLayer {
  status: AlignStatus;
  a?: number;
  b?: number;
  createdBy: string;
}

/**
 * Lines up two images' layers by content, not position: pairs with equal diff IDs (longest common
 * subsequence) are `same`; between those anchors, layers whose history entries have the same instruction
 * are `rebuilt` (same step, new content); the rest exist on one side only.
 */
export function alignLayers(a: LayerInfo[], b: LayerInfo[]): AlignedLayer[] {
  const anchors = lcs(a.map((l) => l.diffId), b.map((l) => l.diffId));
  const out: AlignedLayer[] = [];
  let ia = 0, ib = 0;
  for (const [ja, jb] of [...anchors, [a.length, b.length] as [number, number]]) {
    out.push(...alignGap(a.slice(ia, ja), b.slice(ib, jb)));
    if (ja < a.length && jb < b.length) out.push({ status: 'same', a: ja, b: jb, createdBy: instr(b[jb]!) || instr(a[ja]!) });
    ia = ja + 1;
    ib = jb + 1;
  }
  return out;
}

function instr(l: LayerInfo): string {
  return l.history?.createdBy ?? '';
}

/** Normalised instruction text: buildkit and docker spell the same step with different prefixes. */
function stepKey(s: string): string {
  return s.replace(/^\/bin\/sh -c #\(nop\)\s*/, '').replace(/^\/bin\/sh -c /, 'RUN ').replace(/\s*# buildkit$/, '').replace(/\s+/g, ' ').trim();
}

function alignGap(a: LayerInfo[], b: LayerInfo[]): AlignedLayer[] {
  const ka = a.map((l) => stepKey(instr(l)));
  const kb = b.map((l) => stepKey(instr(l)));
  const pairs = lcs(ka.map((k, i) => k || `\0a${i}`), kb.map((k, i) => k || `\0b${i}`));
  const out: AlignedLayer[] = [];
  let ia = 0, ib = 0;
  for (const [ja, jb] of [...pairs, [a.length, b.length] as [number, number]]) {
    for (; ia < ja; ia++) out.push({ status: 'only-a', a: a[ia]!.index, createdBy: instr(a[ia]!) });
    for (; ib < jb; ib++) out.push({ status: 'only-b', b: b[ib]!.index, createdBy: instr(b[ib]!) });
    if (ja < a.length && jb < b.length) out.push({ status: 'rebuilt', a: a[ja]!.index, b: b[jb]!.index, createdBy: instr(b[jb]!) });
    ia = ja + 1;
    ib = jb + 1;
  }
  return out;
}

/** Index pairs of a longest common subsequence (layer counts are small, so the quadratic table is fine). */
function lcs(x: string[], y: string[]): [number, number][] {
  const n = x.length, m = y.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) t[i]![j] = x[i] === y[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  }
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m;) {
    if (x[i] === y[j]) { out.push([i, j]); i++; j++; } else if (t[i + 1]![j]! >= t[i]![j + 1]!) i++; else j++;
  }
  return out;
}
