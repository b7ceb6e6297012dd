import type { Analysis } from '../analyze.js';
import type { DiffResult } from '../diff.js';
import { layerDirs } from '../analyze.js';
import type { ImageMeta } from '../image-meta.js';
import type { LayerScan } from '../scan.js';
import { clip, humanBytes, percent, shortDigest } from '../format.js';
import { attributionLabel, changeDetail, sideLabel, summaryLine } from './diff-lines.js';
import { esc, htmlPage, sortableTable, type Cell } from './html-page.js';
import { treemapSvg, type TreemapLayer } from './html-treemap.js';

const num = (v: number, text = String(v)): Cell => ({ text, v });
const bytes = (v: number): Cell => ({ text: humanBytes(v), v });

/** Most rows a report table holds; the page says how many were left out. */
export const MAX_ROWS = 5000;

/** The treemap input for an analysis: every layer with its per-directory bytes. */
export function analysisTreemap(a: Analysis): TreemapLayer[] {
  return a.layers.map((l) => ({ index: l.index, label: clip(l.createdBy || shortDigest(l.digest), 80), bytes: l.storedBytes, dirs: l.dirs }));
}

/** The treemap input for an image's layers (or some of them) from their scans. */
export function imageTreemap(meta: ImageMeta, scans: LayerScan[], only?: number[]): TreemapLayer[] {
  return (only ?? meta.layers.map((l) => l.index)).map((i) => {
    const l = meta.layers[i]!;
    return { index: i, label: clip(l.history?.createdBy || shortDigest(l.digest), 80), bytes: scans[i]!.storedBytes, dirs: layerDirs(scans[i]!.entries) };
  });
}

/** `strata analyze --html`: summary cards, the layer treemap, layers, directories, hidden files, duplicates. */
export function analyzeHtml(a: Analysis): string {
  const w = a.waste, e = a.efficiency;
  const card = (title: string, value: string) => `<div class="card">${esc(title)}<b>${esc(value)}</b></div>`;
  const hidden = w.items.slice(0, MAX_ROWS);
  const body = [
    `<h1>strata analyze</h1><p class="meta"><code>${esc(a.ref)}</code> <code>${esc(a.digest)}</code></p>`,
    `<div class="cards">${card('stored', humanBytes(a.totalBytes))}${card('visible', humanBytes(a.visibleBytes))}${card('wasted', `${humanBytes(w.wastedBytes)} (${percent(w.wastedPercent)})`)}${card('efficiency (dive)', percent(e.score))}${card('layers', String(a.layers.length))}</div>`,
    `<h2>Layers and directories by size</h2>`, treemapSvg(analysisTreemap(a)),
    `<h2>Layers</h2>`,
    sortableTable('layers', [{ title: '#', num: true }, { title: 'stored', num: true }, { title: 'compressed', num: true }, { title: 'entries', num: true },
      { title: 'added', num: true }, { title: 'changed', num: true }, { title: 'deleted', num: true }, { title: 'hidden later', num: true }, { title: 'created by' }],
    a.layers.map((l) => [num(l.index), bytes(l.storedBytes), bytes(l.size), num(l.entries), num(l.added), num(l.changed), num(l.deleted), bytes(l.hiddenLater), l.createdBy])),
    `<h2>Changes that waste space</h2>`,
    sortableTable('changes', [{ title: 'path' }, { title: 'bytes', num: true }, { title: 'how' }, { title: 'stored by layer', num: true }, { title: 'hidden by layer', num: true }],
      [...hidden.map((i): Cell[] => [i.path, bytes(i.bytes), i.reason, num(i.layer), num(i.byLayer)]),
        ...w.duplicates.map((g): Cell[] => [g.paths.join(' '), bytes(g.wastedBytes), `duplicate ×${g.paths.length}`, num(-1, ''), num(-1, '')])],
      w.itemCount > hidden.length ? `${w.itemCount - hidden.length} smaller hidden files not listed.` : ''),
    `<h2>Largest directories</h2>`,
    sortableTable('dirs', [{ title: 'path' }, { title: 'bytes', num: true }, { title: 'files', num: true }], a.dirs.slice(0, MAX_ROWS).map((d) => [d.path, bytes(d.bytes), num(d.files)])),
  ];
  return htmlPage(`strata analyze ${a.ref}`, body.join('\n'));
}

/** `strata diff --html`: the summary, B's layer treemap, and a sortable table of every change with its step. */
export function diffHtml(d: DiffResult, layers: TreemapLayer[]): string {
  const rows = d.changes.slice(0, MAX_ROWS).map((c): Cell[] => [
    `<${c.kind}>`, c.path, changeDetail(c), num(c.b?.size ?? c.a?.size ?? 0, humanBytes(c.b?.size ?? c.a?.size ?? 0)),
    num(c.by ? (c.by.side === 'b' ? c.by.layer : 1000 + c.by.layer) : 9999, c.by ? `${c.by.side.toUpperCase()} ${c.by.layer}` : ''), attributionLabel(c.by, d),
  ]);
  const table = sortableTable('changes', [{ title: 'kind' }, { title: 'path' }, { title: 'change' }, { title: 'size', num: true }, { title: 'layer', num: true }, { title: 'step' }],
    rows, d.changes.length > MAX_ROWS ? `${d.changes.length - MAX_ROWS} more changes not listed; use --json for all.` : '')
    .replace(/<td>&lt;(added|removed|changed)&gt;<\/td>/g, '<td class="k-$1">$1</td>');
  const body = [
    `<h1>strata diff</h1><p class="meta">A: <code>${esc(sideLabel(d.a))}</code><br>B: <code>${esc(sideLabel(d.b))}</code></p>`,
    `<p><b>${esc(summaryLine(d))}</b></p>`,
    `<h2>Layers of B and directories by size</h2>`, treemapSvg(layers),
    `<h2>Changes</h2>`, table,
  ];
  return htmlPage(`strata diff ${d.a.ref} ${d.b.ref}`, body.join('\n'));
}
