/** A rectangle in SVG user units. */
export interface Rect { x: number; y: number; w: number; h: number }

/**
 * Squarified treemap layout (Bruls, Huizing, van Wijk 2000): items, largest first, are laid in rows along the
 * shorter side, a row growing while that improves its worst aspect ratio. Returns one rect per item, in the
 * order given. Weights must be positive. Written here because it is thirty lines and the page must not fetch
 * a library.
 */
export function squarify(weights: number[], box: Rect): Rect[] {
  const out: Rect[] = new Array(weights.length);
  const total = weights.reduce((s, w) => s + w, 0);
  if (weights.length === 0 || total <= 0 || box.w <= 0 || box.h <= 0) return weights.map(() => ({ x: box.x, y: box.y, w: 0, h: 0 }));
  const order = weights.map((w, i) => i).sort((a, b) => weights[b]! - weights[a]!);
  const scale = (box.w * box.h) / total;
  let { x, y, w, h } = box;
  let row: number[] = [];
  const worst = (r: number[], side: number) => {
    const areas = r.map((i) => weights[i]! * scale);
    const sum = areas.reduce((s, a) => s + a, 0);
    const max = Math.max(...areas), min = Math.min(...areas);
    return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
  };
  const layRow = (r: number[]) => {
    const sum = r.reduce((s, i) => s + weights[i]! * scale, 0);
    if (w >= h) {
      const rw = sum / h;
      let yy = y;
      for (const i of r) { const hh = (weights[i]! * scale) / rw; out[i] = { x, y: yy, w: rw, h: hh }; yy += hh; }
      x += rw; w -= rw;
    } else {
      const rh = sum / w;
      let xx = x;
      for (const i of r) { const ww = (weights[i]! * scale) / rh; out[i] = { x: xx, y, w: ww, h: rh }; xx += ww; }
      y += rh; h -= rh;
    }
  };
  for (const i of order) {
    const side = Math.min(w, h);
    if (row.length === 0 || worst([...row, i], side) <= worst(row, side)) row.push(i);
    else { layRow(row); row = [i]; }
  }
  if (row.length) layRow(row);
  return out;
}
