import { strict as assert } from 'node:assert';
import { readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildContext, INDEX_VERSION, StatIndex, checksumSources, type Entry } from '../src/index.js';
import { contextFixture } from './helpers.js';

describe('context: persistent stat index', () => {
  const dirs = contextFixture({ 'src/app.js': 'console.log(1)\n', 'src/b.txt': 'bbbb', 'big.bin': 'x'.repeat(3 << 20) });

  const open = (racyWindowNs = 0n) => BuildContext.open(dirs.ctxDir, { stateRoot: dirs.stateRoot, ignorePatterns: [], racyWindowNs });

  it('writes contexts/<id>/index atomically and reuses it: unchanged files are never re-read', async () => {
    const a = await open();
    const first = await checksumSources(a, ['.']);
    assert.equal(a.stats.hashed, 3);
    await a.save();
    const dir = path.join(dirs.stateRoot, 'contexts', a.id);
    assert.deepEqual((await readdir(dir)).sort(), ['index', 'trees'], 'no temp file left behind');
    const doc = JSON.parse(await readFile(path.join(dir, 'index'), 'utf8'));
    assert.equal(doc.version, INDEX_VERSION);
    assert.deepEqual(Object.keys(doc.entries).sort(), ['.', 'big.bin', 'src', 'src/app.js', 'src/b.txt']);

    const b = await open();
    const second = await checksumSources(b, ['.']);
    assert.equal(b.stats.hashed, 0);
    assert.equal(b.stats.reused, 3);
    assert.equal(second.digest, first.digest);
  });

  it('catches an edit that keeps size and mtime (utimes restores mtime; ctime still moves)', async () => {
    const file = path.join(dirs.ctxDir, 'src', 'app.js');
    // Whole seconds, so utimes can restore the value exactly (it takes no nanoseconds).
    await utimes(file, 1_700_000_000, 1_700_000_000);
    const before = await stat(file, { bigint: true });
    const a = await open();
    const first = await checksumSources(a, ['src']);
    await a.save();
    await writeFile(file, 'console.log(2)\n'); // same length
    await utimes(file, 1_700_000_000, 1_700_000_000);
    const after = await stat(file, { bigint: true });
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeNs, before.mtimeNs, 'mtime restored');
    const b = await open();
    const second = await checksumSources(b, ['src']);
    assert.equal(b.stats.hashed, 1, 'exactly the edited file was re-read');
    assert.notEqual(second.digest, first.digest);
    assert.notEqual(second.files['src/app.js']!.split(':')[0], first.files['src/app.js']!.split(':')[0]);
    assert.equal(second.files['src/b.txt'], first.files['src/b.txt']);
  });

  it('does not trust records of files changed just before they were hashed (racy)', async () => {
    const a = await open(2_000_000_000n);
    await checksumSources(a, ['src/app.js']);
    await a.save();
    const b = await open(2_000_000_000n);
    await checksumSources(b, ['src/app.js']);
    assert.equal(b.stats.hashed, 1);
    assert.equal(b.stats.reused, 0);
  });

  it('a file changed 150 ms before hashing is trusted next time: nanosecond times are racy for 100 ms, not 2 s', async () => {
    const a = await open(2_000_000_000n);
    await checksumSources(a, ['src/app.js']);
    await a.save();
    const b = await open(2_000_000_000n);
    await checksumSources(b, ['src/app.js']);
    assert.equal(b.stats.hashed, 1, 'changed 5 ms before the first hashing: racy');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const c = await open(2_000_000_000n);
    await checksumSources(c, ['src/app.js']);
    assert.equal(c.stats.hashed, 1, 'still the racy record of b');
    await c.save();
    const d = await open(2_000_000_000n);
    await checksumSources(d, ['src/app.js']);
    assert.equal(d.stats.hashed, 0, 'hashed more than 100 ms after its last change: trusted');
  });

  it('whole-second times (a coarse filesystem) keep the full window', async () => {
    const file = path.join(dirs.stateRoot, 'unit-index');
    const index = await StatIndex.load(file, 2_000_000_000n);
    const now = BigInt(Date.now()) * 1_000_000n;
    const entry = (p: string, t: bigint): Entry => ({ path: p, type: 'file', dev: 1n, ino: 2n, mode: 0o644, uid: 0, gid: 0, size: 1n, rdev: 0n, mtimeNs: t, ctimeNs: t });
    const coarse = entry('coarse', (now / 1_000_000_000n - 1n) * 1_000_000_000n);
    const fine = entry('fine', now - 500_000_123n);
    index.set(coarse, { content: 'c', xattrs: '' }, now);
    index.set(fine, { content: 'f', xattrs: '' }, now);
    assert.equal(index.lookup(coarse), undefined, 'whole seconds, within 2 s: racy');
    assert.deepEqual(index.lookup(fine), { content: 'f', xattrs: '' }, 'nanoseconds, 0.5 s old: trusted');
  });

  it('starts empty from a corrupt or foreign-version index', async () => {
    const a = await open();
    await checksumSources(a, ['.']);
    await a.save();
    const file = path.join(dirs.stateRoot, 'contexts', a.id, 'index');
    await writeFile(file, '{"version": 1, "entries": {"src/app.js": [1,');
    // The tree memo would answer '.' without the index (tree-memo.test.ts tests it on its own).
    await rm(path.join(dirs.stateRoot, 'contexts', a.id, 'trees'));
    const b = await open();
    await checksumSources(b, ['.']);
    assert.equal(b.stats.reused, 0);
    await writeFile(file, JSON.stringify({ version: INDEX_VERSION + 1, entries: {} }));
    const c = await open();
    await checksumSources(c, ['src/b.txt']);
    assert.equal(c.stats.hashed, 1);
  });

  it('removes temp files a killed writer left behind, once they are stale', async () => {
    const a = await open();
    await checksumSources(a, ['src/b.txt']);
    await a.save();
    const dir = path.join(dirs.stateRoot, 'contexts', a.id);
    await writeFile(path.join(dir, 'index.tmp-1-old'), 'half');
    await utimes(path.join(dir, 'index.tmp-1-old'), 1_000_000, 1_000_000);
    await writeFile(path.join(dir, 'index.tmp-2-new'), 'in progress');
    const b = await open();
    await checksumSources(b, ['src/app.js']);
    await b.save();
    assert.deepEqual((await readdir(dir)).sort(), ['index', 'index.tmp-2-new']);
  });

  it('forgets deleted files', async () => {
    const a = await open();
    await checksumSources(a, ['.']);
    await a.save();
    await writeFile(path.join(dirs.ctxDir, '.dockerignore'), 'big.bin\n');
    const b = await BuildContext.open(dirs.ctxDir, { stateRoot: dirs.stateRoot, racyWindowNs: 0n });
    await checksumSources(b, ['src']);
    await b.save();
    const doc = JSON.parse(await readFile(path.join(dirs.stateRoot, 'contexts', a.id, 'index'), 'utf8'));
    assert.ok(!('big.bin' in doc.entries));
  });

  it('fingerprints a streamed large file the same as its bytes hashed at once', async () => {
    const { hashBytes } = await import('../src/index.js');
    const a = await open();
    await checksumSources(a, ['big.bin']);
    const parts = await a.parts(a.entries.get('big.bin')!);
    assert.equal(parts.content, await hashBytes(Buffer.from('x'.repeat(3 << 20))));
  });
});
