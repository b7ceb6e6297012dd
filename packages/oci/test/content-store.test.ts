import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fsp, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ContentStore, digestOf, DigestMismatchError, NotFoundError, type Digest } from '../src/index.js';

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('ContentStore', () => {
  let root: string;
  let store: ContentStore;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-cs-'));
    store = new ContentStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('puts a buffer under its sha256 and reads it back verified', async () => {
    const data = Buffer.from('hello world');
    const info = await store.put(data);
    assert.equal(info.digest, digestOf(data));
    assert.equal(info.size, 11);
    assert.equal(store.pathOf(info.digest), path.join(root, 'blobs', 'sha256', info.digest.slice(7)));
    assert.deepEqual(await readAll(await store.get(info.digest)), data);
    assert.equal(await store.has(info.digest), true);
    assert.equal(await store.size(info.digest), 11);
    assert.deepEqual(await fsp.readdir(path.join(root, 'tmp')), []);
  });

  it('puts a stream and is idempotent', async () => {
    const data = Buffer.alloc(3 << 20, 7);
    const a = await store.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    const b = await store.put(data, { digest: a.digest, size: data.length });
    assert.deepEqual(a, b);
    const list: string[] = [];
    for await (const x of store.walk()) list.push(x.digest);
    assert.deepEqual(list, [a.digest]);
  });

  it('rejects a wrong digest or size and leaves nothing behind', async () => {
    const wrong = digestOf('other');
    await assert.rejects(store.put(Buffer.from('abc'), { digest: wrong }), DigestMismatchError);
    await assert.rejects(store.put(Buffer.from('abc'), { size: 2 }), DigestMismatchError);
    await assert.rejects(store.put(Buffer.from('abc'), { size: 4 }), DigestMismatchError);
    assert.deepEqual(await fsp.readdir(store.blobDir), []);
    assert.deepEqual(await fsp.readdir(store.tmpDir), []);
  });

  it('a failing source stream stores nothing', async () => {
    async function* bad(): AsyncIterable<Buffer> {
      yield Buffer.from('partial');
      throw new Error('connection reset');
    }
    await assert.rejects(store.put(bad()), /connection reset/);
    assert.deepEqual(await fsp.readdir(store.blobDir), []);
    assert.deepEqual(await fsp.readdir(store.tmpDir), []);
  });

  it('get errors at end of stream when the blob was corrupted on disk', async () => {
    const info = await store.put(Buffer.from('good content'));
    writeFileSync(store.pathOf(info.digest), 'bad content!');
    await assert.rejects(readAll(await store.get(info.digest)), DigestMismatchError);
    await assert.rejects(store.readBuffer(info.digest), DigestMismatchError);
  });

  it('get/size of a missing blob is NotFoundError', async () => {
    await assert.rejects(store.get(digestOf('nope')), NotFoundError);
    await assert.rejects(store.size(digestOf('nope')), NotFoundError);
    assert.equal(await store.delete(digestOf('nope')), false);
  });

  it('fsck re-hashes every blob and reports the bad ones', async () => {
    const good = await store.put(Buffer.from('one'));
    const bad = await store.put(Buffer.from('two'));
    writeFileSync(store.pathOf(bad.digest), 'TWO');
    writeFileSync(path.join(store.blobDir, 'junk'), 'x');
    const r = await store.fsck();
    assert.equal(r.checked, 2);
    assert.equal(r.problems.length, 2);
    assert.ok(r.problems.some((p) => p.digest === bad.digest && /hashes to/.test(p.problem)));
    assert.ok(r.problems.some((p) => p.path.endsWith('junk')));
    await store.fsck({ repair: true });
    assert.equal(await store.has(bad.digest), false);
    assert.equal(await store.has(good.digest), true);
  });

  it('several processes putting the same and different blobs at once agree', async () => {
    const script = `
      import { ContentStore } from ${JSON.stringify(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.js'))};
      const s = new ContentStore(process.argv[1]);
      const out = [];
      for (let i = 0; i < 20; i++) {
        out.push((await s.put(Buffer.alloc(100000 + i, i))).digest);
        out.push((await s.put(Buffer.from('mine ' + process.pid + ' ' + i))).digest);
      }
      console.log(JSON.stringify(out));`;
    const runs = await Promise.all([0, 1, 2, 3].map(() => new Promise<string[]>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}`))));
    })));
    const all = new Set(runs.flat());
    assert.equal(all.size, 20 + 4 * 20);
    const r = await store.fsck();
    assert.equal(r.problems.length, 0);
    assert.equal(r.checked, all.size);
    for (const d of all) assert.ok(await store.has(d as Digest));
    assert.deepEqual(await fsp.readdir(store.tmpDir), []);
  });
});
