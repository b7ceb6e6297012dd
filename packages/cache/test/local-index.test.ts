import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCacheIndex, type CacheEntry } from '../src/index.js';

const key = (c: string) => `sha256:${c.repeat(64)}`;

function entry(c: string, files: number): CacheEntry {
  const k = key(c);
  const list = Object.fromEntries(Array.from({ length: files }, (_, i) => [`src/f${i}.txt`, `${i.toString(16).padStart(16, '0')}:644.0.0`]));
  return {
    v: 1, key: k, state: { layers: [], created: '2026-01-01T00:00:00.000Z' }, emptyLayer: false, slot: 'stage/1',
    preImage: { v: 1, kind: 'copy', parent: key('0'), sources: { '.': { digest: 'sha256:x', files: list } } },
    created: '2026-01-01T00:00:00.000Z',
  };
}

describe('local cache index', () => {
  let root: string;
  let idx: LocalCacheIndex;
  const records = () => readdirSync(path.join(root, 'cache', 'records')).sort();
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-local-index-'));
    idx = new LocalCacheIndex(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps a small pre-image in the record, and a big one apart that only get() reads', async () => {
    const small = entry('a', 3);
    const big = entry('b', 2000);
    await idx.put(small);
    await idx.put(big);
    assert.deepEqual(records(), [`${'a'.repeat(64)}.json`, `${'b'.repeat(64)}.json`, `${'b'.repeat(64)}.pre.json`]);
    assert.deepEqual(await idx.get(small.key), small);
    assert.deepEqual(await idx.peek(small.key), small);
    assert.deepEqual(await idx.get(big.key), big);
    const head = await idx.peek(big.key);
    assert.deepEqual(head?.state, big.state);
    assert.equal(head?.slot, big.slot);
    assert.deepEqual(head?.preImage, { parent: key('0') }, 'the hit reads no per-file list');
    assert.deepEqual((await idx.list()).map((e) => e.key), [small.key, big.key], 'a pre-image file is no entry');
    assert.deepEqual((await idx.bySlot('stage/1')).map((e) => e.preImage).sort((x, y) => JSON.stringify(x).length - JSON.stringify(y).length),
      [small.preImage, big.preImage]);
  });

  it('treats a record whose pre-image file is gone or torn as absent to get(), and delete removes both files', async () => {
    const big = entry('c', 2000);
    await idx.put(big);
    const pre = path.join(root, 'cache', 'records', `${'c'.repeat(64)}.pre.json`);
    writeFileSync(pre, '{"torn');
    assert.equal(await idx.get(big.key), undefined);
    rmSync(pre);
    assert.equal(await idx.get(big.key), undefined);
    assert.ok(await idx.peek(big.key), 'the result itself is still readable');
    await idx.put(entry('d', 2000));
    assert.equal(await idx.delete(key('d')), true);
    assert.equal(await idx.delete(big.key), true);
    assert.deepEqual(records(), []);
  });
});
