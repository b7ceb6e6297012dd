import { strict as assert } from 'node:assert';
import { historyView } from '../src/history.js';
import { readMeta } from '../src/image-meta.js';
import { scanImage } from '../src/load.js';
import { listLayer, listMerged } from '../src/ls.js';
import { historyText } from '../src/render/history-text.js';
import { lsText } from '../src/render/ls-text.js';
import { DOC, wasteImage } from './support/fixtures.js';
import { sha } from './support/entries.js';

async function load() {
  const img = await wasteImage();
  const meta = await readMeta('waste', img);
  return { meta, scans: await scanImage(meta, img) };
}

describe('ls: merged tree and one layer\'s entries', () => {
  it('lists the merged filesystem with deletions applied', async () => {
    const { scans } = await load();
    const rows = listMerged(scans)!;
    assert.deepEqual(rows.map((r) => r.path), [
      '/app', '/app/main', '/app/tool-copy', '/bin', '/bin/sh',
      '/etc', '/etc/config', '/etc/mode-only', '/etc/mtime-only', '/etc/owner-only', '/etc/passwd',
      '/opt', '/opt/data', '/opt/data/new', '/tmp',
      '/usr', '/usr/bin', '/usr/bin/tool', '/usr/bin/tool-link', '/usr/lib', '/usr/lib/libx.so',
      '/usr/share', '/usr/share/doc', '/usr/share/doc/a.txt', '/usr/share/doc/b.txt', '/var', '/var/cache']);
    const link = rows.find((r) => r.path === '/usr/bin/tool-link')!;
    assert.equal(link.facts.hash, rows.find((r) => r.path === '/usr/bin/tool')!.facts.hash, 'a hardlink carries its target\'s content hash');
    assert.equal(rows.find((r) => r.path === '/usr/share/doc/b.txt')!.facts.hash, sha(DOC));
    assert.equal(rows.find((r) => r.path === '/etc/config')!.layer, 1);
  });

  it('lists under a path, and says when the path is absent', async () => {
    const { scans } = await load();
    assert.deepEqual(listMerged(scans, '/usr/share/')!.map((r) => r.path), ['/usr/share', '/usr/share/doc', '/usr/share/doc/a.txt', '/usr/share/doc/b.txt']);
    assert.equal(listMerged(scans, '/var/cache/apt'), undefined);
  });

  it('shows a layer\'s own entries with what each added, changed or deleted', async () => {
    const { scans } = await load();
    const rows = listLayer(scans, 1);
    assert.deepEqual(rows.map((r) => `${r.status} ${r.path}${r.removedPaths !== undefined ? ` ${r.removedPaths}/${r.removedBytes}` : ''}`), [
      'unchanged /etc', 'changed /etc/config', 'changed /etc/mode-only', 'changed /etc/mtime-only', 'changed /etc/owner-only',
      'opaque /opt/data 2/300', 'unchanged /opt/data', 'added /opt/data/new',
      'deleted /tmp/big 1/10000',
      'unchanged /usr/share/doc', 'added /usr/share/doc/b.txt',
      'deleted /var/cache/apt 3/4500',
    ]);
  });

  it('renders short and long listings', async () => {
    const { scans } = await load();
    assert.equal(lsText(listMerged(scans, 'bin')!, false), '/bin/\n/bin/sh -> /usr/bin/tool\n');
    const long = lsText(listMerged(scans, 'usr/bin')!, true).split('\n');
    assert.match(long[0]!, /^MODE +OWNER +SIZE +MTIME +LAYER +PATH$/);
    assert.match(long[2]!, /^-rwxr-xr-x +0:0 +5000 +2023-11-14T22:13:20\.000Z +0 +\/usr\/bin\/tool$/);
    assert.match(long[3]!, /^-rwxr-xr-x +0:0 +5000 +\S+ +0 +\/usr\/bin\/tool-link link to \/usr\/bin\/tool$/);
    const layer = lsText(listLayer(scans, 1, '/tmp'), true);
    assert.match(layer, /\nD +D--------- +0:0 +-10\.0 kB +1 +\/tmp\/big\n$/);
    assert.equal(lsText(listLayer(scans, 1, '/etc/mode-only'), false), 'M /etc/mode-only\n');
  });
});

describe('history', () => {
  it('ties each history entry to its layer and marks empty ones', async () => {
    const { meta } = await load();
    const rows = historyView(meta);
    assert.deepEqual(rows.map((r) => [r.index, r.emptyLayer, r.layer?.index]), [[0, false, 0], [1, true, undefined], [2, false, 1], [3, false, 2], [4, true, undefined]]);
    assert.equal(rows[2]!.layer!.digest, meta.manifest.layers[1]!.digest);
    const text = historyText(rows).split('\n');
    assert.match(text[0]!, /^# +CREATED +CREATED BY +SIZE +LAYER$/);
    assert.match(text[1]!, /^4 +2024-01-02T03:04:05Z +CMD \["\/app\/main"\] +0 B +\(empty layer\)$/);
    assert.match(text[5]!, /^0 +2024-01-02T03:04:05Z +ADD rootfs\.tar \/ # buildkit +\d+(\.\d+)? kB +0:[0-9a-f]{12}$/);
  });
});
