import { clip, humanBytes } from '../format.js';
import { esc } from './html-page.js';
import { squarify, type Rect } from './treemap.js';

/** One layer as the treemap draws it: its stored bytes, and bytes per directory (depth 1 and 2). */
export interface TreemapLayer {
  index: number;
  label: string;
  bytes: number;
  dirs: { path: string; bytes: number }[];
}

const f = (n: number) => n.toFixed(1);

function color(index: number, light: number): string {
  return `hsl(${(index * 137.508) % 360},55%,${light}%)`;
}

function rect(r: Rect, cls: string, attrs: Record<string, string>, fill: string, title: string): string {
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  return `<rect class="${cls}"${a} x="${f(r.x)}" y="${f(r.y)}" width="${f(r.w)}" height="${f(r.h)}" fill="${fill}"><title>${esc(title)}</title></rect>`;
}

function label(r: Rect, text: string): string {
  if (r.w < 40 || r.h < 16) return '';
  return `<text x="${f(r.x + 4)}" y="${f(r.y + 13)}">${esc(clip(text, Math.floor(r.w / 7)))}</text>`;
}

function inset(r: Rect, top: number, pad: number): Rect {
  return { x: r.x + pad, y: r.y + top, w: Math.max(0, r.w - 2 * pad), h: Math.max(0, r.h - top - pad) };
}

/** Largest `n` items, the rest folded into one `other` item when there is a rest. */
function topWithRest(items: { path: string; bytes: number }[], total: number, n: number) {
  const top = items.filter((i) => i.bytes > 0).slice(0, n);
  const rest = total - top.reduce((s, i) => s + i.bytes, 0);
  return rest > 0 ? [...top, { path: '', bytes: rest }] : top;
}

/**
 * An SVG treemap: one `rect.layer` per layer (every layer gets a shape; an empty or tiny one a sliver) holding
 * `rect.dir` shapes for its largest directories and, inside those, their largest subdirectories.
 */
export function treemapSvg(layers: TreemapLayer[], width = 1200, height = 560): string {
  const total = layers.reduce((s, l) => s + l.bytes, 0);
  const floor = Math.max(1, total * 0.004);
  const boxes = squarify(layers.map((l) => Math.max(l.bytes, floor)), { x: 0, y: 0, w: width, h: height });
  const parts: string[] = [];
  layers.forEach((l, i) => {
    const box = boxes[i]!;
    const title = `layer ${l.index}: ${l.label} — ${humanBytes(l.bytes)}`;
    parts.push(rect(box, 'layer', { 'data-layer': String(l.index), 'data-bytes': String(l.bytes) }, color(l.index, 38), title));
    parts.push(label(box, `${l.index}: ${humanBytes(l.bytes)} ${l.label}`));
    const inner = inset(box, box.h > 40 ? 18 : 2, 2);
    const top1 = topWithRest(l.dirs.filter((d) => d.path.split('/').length === 2), l.bytes, 12);
    const r1 = squarify(top1.map((d) => d.bytes), inner);
    top1.forEach((d, j) => {
      const name = d.path === '' ? '(other)' : d.path === '/' ? '/ (top-level files)' : d.path;
      parts.push(rect(r1[j]!, 'dir', { 'data-layer': String(l.index), 'data-path': d.path || '(other)' }, color(l.index, 52),
        `layer ${l.index} ${name} — ${humanBytes(d.bytes)}`));
      parts.push(label(r1[j]!, `${name} ${humanBytes(d.bytes)}`));
      if (!d.path || d.path === '/') return;
      const kids = topWithRest(l.dirs.filter((k) => k.path.startsWith(d.path + '/')), d.bytes, 8).filter((k) => k.path);
      const r2 = squarify([...kids.map((k) => k.bytes), d.bytes - kids.reduce((s, k) => s + k.bytes, 0) || 0].map((b) => Math.max(b, 0.0001)),
        inset(r1[j]!, r1[j]!.h > 40 ? 16 : 1, 1));
      kids.forEach((k, m) => {
        parts.push(rect(r2[m]!, 'dir', { 'data-layer': String(l.index), 'data-path': k.path }, color(l.index, 64), `layer ${l.index} ${k.path} — ${humanBytes(k.bytes)}`));
        parts.push(label(r2[m]!, `${k.path.slice(d.path.length + 1)} ${humanBytes(k.bytes)}`));
      });
    });
  });
  return `<svg class="treemap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="layers and directories by size">\n${parts.filter(Boolean).join('\n')}\n</svg><p id="treemap-info" class="note">Click a shape for its name and size; hover for a tooltip.</p>`;
}
