import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyzeScans } from '../src/analyze.js';
import { diffImages } from '../src/diff.js';
import { readMeta } from '../src/image-meta.js';
import { scanImage } from '../src/load.js';
import { analyzeHtml, diffHtml, imageTreemap } from '../src/render/html-report.js';
import { squarify } from '../src/render/treemap.js';
import { CHROMIUM, runPage } from './support/chromium.js';
import { rebuildImage, wasteImage } from './support/fixtures.js';
import { bytes, dir as dirEntry, file, whiteout } from './support/entries.js';
import { buildImage } from './support/memory-image.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const artifacts = path.join(repo, 'test-artifacts', 'inspect');

/** Evaluated in the page after load. */
const PROBES = [
  `document.documentElement.getAttribute('data-ready')`,
  `document.querySelectorAll('svg.treemap rect.layer').length`,
  `[...new Set([...document.querySelectorAll('svg.treemap rect.layer')].map(r => r.getAttribute('data-layer')))].join(',')`,
  `[...document.querySelectorAll('svg.treemap rect.layer')].every(r => r.getBBox().width > 0 && r.getBBox().height > 0)`,
  // sort the changes table by its numeric column twice: ascending, then descending
  `(() => { const t = document.getElementById('changes'); const th = [...t.querySelectorAll('th')].find(h => h.dataset.num === '1');
     const col = Number(th.dataset.col); const vals = () => [...t.tBodies[0].rows].map(r => Number(r.cells[col].dataset.v));
     th.click(); const up = vals(); th.click(); const down = vals();
     return { rows: up.length, up: up.every((v, i) => i === 0 || up[i - 1] <= v), down: down.every((v, i) => i === 0 || down[i - 1] >= v) }; })()`,
];

describe('HTML reports in headless Chromium', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh)`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'strata-html-'));
    mkdirSync(artifacts, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('analyze: renders without script errors or fetches, one treemap shape per layer, sortable table', async () => {
    const img = await wasteImage();
    const meta = await readMeta('waste:1', img);
    const html = analyzeHtml(analyzeScans(meta, await scanImage(meta, img)));
    const file = path.join(dir, 'analyze.html');
    writeFileSync(file, html);
    const run = await runPage(file, PROBES);
    writeFileSync(path.join(artifacts, 'analyze.png'), run.screenshot);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(run.requests, [pathToFileURL(file).href], 'the page fetches nothing but itself');
    assert.equal(run.values[0], '1', 'the page script ran to its end');
    assert.equal(run.values[1], 3);
    assert.equal(run.values[2], '0,1,2');
    assert.equal(run.values[3], true);
    assert.deepEqual(run.values[4], { rows: 11, up: true, down: true });
    assert.equal(run.screenshot.subarray(1, 4).toString(), 'PNG');
  });

  it('diff: renders B\'s layers and every change', async () => {
    const [ia, ib] = await Promise.all([wasteImage(), rebuildImage()]);
    const [a, b] = await Promise.all([readMeta('app:v1', ia), readMeta('app:v2', ib)]);
    const [sa, sb] = [await scanImage(a, ia), await scanImage(b, ib)];
    const file = path.join(dir, 'diff.html');
    writeFileSync(file, diffHtml(diffImages(a, sa, b, sb), imageTreemap(b, sb)));
    const run = await runPage(file, PROBES);
    writeFileSync(path.join(artifacts, 'diff.png'), run.screenshot);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(run.requests, [pathToFileURL(file).href]);
    assert.equal(run.values[1], 4);
    assert.equal(run.values[2], '0,1,2,3');
    assert.deepEqual(run.values[4], { rows: 11, up: true, down: true });
  });

  it('gives an empty layer a shape too', async () => {
    const img = await buildImage([
      { createdBy: 'ADD big /', entries: [file('big', bytes(200000, 'big'))] },
      { createdBy: 'RUN mkdir /empty', entries: [dirEntry('empty')] },
      { createdBy: 'RUN rm /big', entries: [whiteout('big')] },
    ]);
    const meta = await readMeta('sparse', img);
    const file1 = path.join(dir, 'sparse.html');
    writeFileSync(file1, analyzeHtml(analyzeScans(meta, await scanImage(meta, img))));
    const run = await runPage(file1, PROBES.slice(0, 4));
    assert.deepEqual(run.errors, []);
    assert.equal(run.values[1], 3);
    assert.equal(run.values[3], true, 'every layer shape has a non-zero area');
  });

  it('escapes paths so a hostile name cannot inject markup', () => {
    const html = diffHtml({ a: { ref: '<a>', digest: 'sha256:x' }, b: { ref: 'b', digest: 'sha256:y' }, alignment: [],
      changes: [{ path: '/<script>alert(1)</script>', kind: 'added', aspects: [], b: { type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, mtime: '' } }],
      summary: { added: 1, removed: 0, changed: 0, mtimeOnlyHidden: 0 } }, []);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });
});

describe('squarified treemap layout', () => {
  it('tiles the box exactly with areas proportional to weights', () => {
    const w = [6, 6, 4, 3, 2, 2, 1];
    const rects = squarify(w, { x: 0, y: 0, w: 600, h: 400 });
    const total = w.reduce((s, x) => s + x, 0);
    rects.forEach((r, i) => assert.ok(Math.abs(r.w * r.h - (w[i]! / total) * 240000) < 1e-6));
    for (const r of rects) assert.ok(r.x >= -1e-9 && r.y >= -1e-9 && r.x + r.w <= 600 + 1e-6 && r.y + r.h <= 400 + 1e-6);
    const worst = Math.max(...rects.map((r) => Math.max(r.w / r.h, r.h / r.w)));
    assert.ok(worst < 3, `aspect ratios stay near square (worst ${worst})`);
  });
});
