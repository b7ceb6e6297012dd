import { strict as assert } from 'node:assert';
import { analyzeScans } from '../src/analyze.js';
import { checkGates, parseBytes, parseRatio } from '../src/gates.js';
import { readMeta } from '../src/image-meta.js';
import { scanImage } from '../src/load.js';
import { BASE_BYTES, DOC, L1_BYTES, L2_BYTES, PASSWD, wasteImage } from './support/fixtures.js';

async function analyzeWaste() {
  const img = await wasteImage();
  const meta = await readMeta('waste', img);
  return analyzeScans(meta, await scanImage(meta, img));
}

describe('analyze: waste, sizes and efficiency on a known image', () => {
  it('counts stored bytes per layer and what each layer added, changed and deleted', async () => {
    const a = await analyzeWaste();
    assert.deepEqual(a.layers.map((l) => l.storedBytes), [BASE_BYTES, L1_BYTES, L2_BYTES]);
    assert.equal(a.totalBytes, BASE_BYTES + L1_BYTES + L2_BYTES);
    assert.deepEqual(a.layers.map((l) => l.createdBy), [
      'ADD rootfs.tar / # buildkit', 'RUN apt-get update && rm -rf /var/cache/apt /tmp/big # buildkit', 'COPY app /app # buildkit']);
    // layer 1: changed config, mode-only, owner-only, mtime-only (etc, opt/data, usr/share/doc are restated
    // parent directories); added new, b.txt; 3 deletions
    assert.deepEqual([a.layers[1]!.added, a.layers[1]!.changed, a.layers[1]!.deleted], [2, 4, 3]);
    assert.deepEqual([a.layers[2]!.added, a.layers[2]!.changed, a.layers[2]!.deleted], [3, 0, 0]);
    assert.equal(a.layers[0]!.hiddenLater, 1000 + 3 + 10000 + 4500 + 300);
  });

  it('finds overwritten, deleted and duplicate bytes', async () => {
    const w = (await analyzeWaste()).waste;
    assert.equal(w.overwrittenBytes, 1000 + 1 + 1 + 1);
    assert.equal(w.deletedBytes, 10000 + 2000 + 2500 + 100 + 200);
    assert.equal(w.duplicateBytes, DOC.length + 5000);
    assert.equal(w.wastedBytes, 1003 + 14800 + DOC.length + 5000);
    assert.equal(w.wastedPercent, w.wastedBytes / (BASE_BYTES + L1_BYTES + L2_BYTES));
    assert.deepEqual(w.duplicates.map((g) => [g.size, g.paths]), [
      [5000, ['/app/tool-copy', '/usr/bin/tool']], // the hardlink tool-link shares storage: not a duplicate
      [DOC.length, ['/usr/share/doc/a.txt', '/usr/share/doc/b.txt']],
    ]);
    assert.equal(w.itemCount, 9);
    assert.deepEqual(w.items[0], { path: '/tmp/big', bytes: 10000, layer: 0, byLayer: 1, reason: 'deleted' });
    assert.ok(w.items.some((i) => i.path === '/etc/config' && i.reason === 'overwritten' && i.bytes === 1000));
    assert.ok(w.items.some((i) => i.path === '/opt/data/old2' && i.reason === 'deleted'));
  });

  it('computes dive\'s efficiency score and wasted bytes', async () => {
    const e = (await analyzeWaste()).efficiency;
    const P = PASSWD.length;
    // per path: the smallest size seen ÷ every size seen (whiteout of a dir counts the bytes it deletes)
    assert.equal(e.score, (P + 28903) / (P + 40106));
    assert.equal(e.wastedBytes, 2200 + 2 + 2 + 2 + 10000);
    assert.equal(e.userBytes, L1_BYTES + L2_BYTES);
    assert.equal(e.wastedUserPercent, 12206 / (L1_BYTES + L2_BYTES));
    assert.deepEqual(e.inefficiencies.map((i) => [i.path, i.count, i.bytes]), [
      ['/tmp/big', 2, 10000], ['/etc/config', 2, 2200], ['/etc/mode-only', 2, 2], ['/etc/mtime-only', 2, 2], ['/etc/owner-only', 2, 2]]);
  });

  it('sizes directories of the final image', async () => {
    const a = await analyzeWaste();
    const dir = (p: string) => a.dirs.find((d) => d.path === p);
    assert.equal(dir('/')!.bytes, a.visibleBytes);
    assert.deepEqual(dir('/usr/bin'), { path: '/usr/bin', bytes: 5000, files: 2 });
    assert.deepEqual(dir('/app'), { path: '/app', bytes: 9000, files: 2 });
    assert.equal(dir('/var/cache'), undefined, 'no visible file is left under /var/cache');
    assert.equal(a.visibleBytes, a.totalBytes - 1003 - 14800);
    assert.deepEqual(a.layers[0]!.dirs.slice(0, 3), [{ path: '/tmp', bytes: 10000 }, { path: '/usr', bytes: 8000 + DOC.length }, { path: '/usr/bin', bytes: 5000 }]);
  });

  it('fails CI gates with the measured value and the limit', async () => {
    const a = await analyzeWaste();
    assert.deepEqual(checkGates(a, { maxWastedBytes: 1e6, maxWastedPercent: 0.9, minEfficiency: 0.1 }), []);
    const failed = checkGates(a, { maxWastedBytes: 1000, maxWastedPercent: 0.05, minEfficiency: 0.9 });
    assert.equal(failed.length, 3);
    assert.match(failed[0]!, /^wasted bytes 21453 \(21\.5 kB\) exceed --max-wasted-bytes 1000$/);
    assert.match(failed[1]!, /^wasted \d+\.\d% of stored bytes exceeds --max-wasted-percent 5\.0%$/);
    assert.match(failed[2]!, /^efficiency \d+\.\d% is below --min-efficiency 90\.0%$/);
  });

  it('parses thresholds', () => {
    assert.equal(parseRatio('0.25'), 0.25);
    assert.equal(parseRatio('25%'), 0.25);
    assert.equal(parseRatio('25'), 0.25);
    assert.equal(parseRatio('abc'), undefined);
    assert.equal(parseRatio('250%'), undefined);
    assert.equal(parseBytes('20MB'), 20e6);
    assert.equal(parseBytes('1.5KiB'), 1536);
    assert.equal(parseBytes('1000'), 1000);
    assert.equal(parseBytes('12 parsecs'), undefined);
  });
});
