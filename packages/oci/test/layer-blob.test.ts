import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore } from '../src/content-store.js';
import { LayerWorker, storeLayerSegments } from '../src/layer-blob.js';
import type { LayerEntry } from '../src/layer-entry.js';
import { storeLayerTar } from '../src/layers.js';
import { layerTarSegments, writeLayerTar } from '../src/tar-writer.js';

describe('storeLayerSegments', function () {
  let work: string;
  let cs: ContentStore;

  beforeEach(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-layerblob-'));
    cs = new ContentStore(path.join(work, 'store'));
  });
  afterEach(function () {
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A file on disk as an entry with both a contentPath and open(). */
  function fileEntry(name: string, data: Buffer): LayerEntry {
    const p = path.join(work, name.replaceAll('/', '_'));
    fs.writeFileSync(p, data);
    return { path: name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: 1_000_000_000n, contentPath: p, open: () => fs.createReadStream(p) };
  }

  function entries(head: Buffer = Buffer.from('small\n')): LayerEntry[] {
    return [
      { path: 'app', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
      { path: 'app/a', type: 'file', mode: 0o644, uid: 0, gid: 0, size: head.length, mtimeNs: 0n, data: head },
      fileEntry('app/big1', Buffer.alloc(3000, 1)),
      fileEntry('app/big2', Buffer.alloc(5001, 2)),
      { path: 'app/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtimeNs: 0n, linkname: 'a' },
      { path: `app/${'long-name-'.repeat(12)}`, type: 'file', mode: 0o600, uid: 1000, gid: 1000, size: 0, mtimeNs: 0n },
      fileEntry('app/small', Buffer.alloc(500, 3)),
      { path: 'gone', type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
    ];
  }

  async function reference(list: LayerEntry[]): Promise<{ digest: string; bytes: Buffer }> {
    const other = new ContentStore(path.join(work, 'reference'));
    const s = await storeLayerTar(other, writeLayerTar(list), 'none');
    return { digest: s.diffId, bytes: fs.readFileSync(other.pathOf(s.descriptor.digest)) };
  }

  /** Leftovers in the store's tmp/ (a failed store must leave none). */
  const temps = () => fs.readdirSync(cs.tmpDir);

  it('stores the bytes writeLayerTar makes, with files from refsFrom up read by the worker thread', async function () {
    const ref = await reference(entries());
    const s = await storeLayerSegments(cs, layerTarSegments(entries(), 1000));
    assert.equal(s.diffId, ref.digest);
    assert.equal(s.descriptor.digest, ref.digest);
    assert.equal(s.uncompressedSize, ref.bytes.length);
    assert.deepEqual(fs.readFileSync(cs.pathOf(s.descriptor.digest)), ref.bytes);
    assert.deepEqual(temps(), []);
  });

  it('stores the same bytes on this thread when no file is referenced, or only after 4 MB', async function () {
    for (const [list, refsFrom] of [[entries(), Infinity], [entries(Buffer.alloc(5 << 20, 7)), 1000]] as const) {
      const ref = await reference(list);
      const s = await storeLayerSegments(cs, layerTarSegments(list, refsFrom));
      assert.equal(s.diffId, ref.digest);
      assert.deepEqual(fs.readFileSync(cs.pathOf(s.descriptor.digest)), ref.bytes);
    }
    assert.deepEqual(temps(), []);
  });

  it('reads referenced files on this thread when none is as big as workerFrom, chunk buffers reused intact', async function () {
    // 5.5 MB of random bytes: more 1 MB chunks than writes may be in flight, so read buffers come back for reuse.
    const list = entries();
    list.splice(4, 0, fileEntry('app/big3', randomBytes((11 << 20) / 2)));
    const ref = await reference(list);
    const s = await storeLayerSegments(cs, layerTarSegments(list, 1000), undefined, 64 << 20);
    assert.equal(s.diffId, ref.digest);
    assert.deepEqual(fs.readFileSync(cs.pathOf(s.descriptor.digest)), ref.bytes);
    assert.deepEqual(temps(), []);
  });

  it('uses a worker started beforehand, and stops one not needed leaving no file', async function () {
    const ref = await reference(entries());
    const s = await storeLayerSegments(cs, layerTarSegments(entries(), 1000), new LayerWorker(cs));
    assert.equal(s.diffId, ref.digest);
    const unused = new LayerWorker(cs);
    const t = await storeLayerSegments(cs, layerTarSegments(entries(), Infinity), unused);
    assert.equal(t.diffId, ref.digest);
    await unused.dispose();
    assert.deepEqual(temps(), []);
  });

  const cases = [['worker thread', undefined, 0], ['this thread, after 4 MB', Buffer.alloc(5 << 20, 7), 0], ['this thread, below workerFrom', undefined, 1 << 20]] as const;
  for (const [where, head, workerFrom] of cases) {
    it(`refuses a referenced file that changed size, storing nothing (${where})`, async function () {
      const list = entries(head);
      fs.appendFileSync(list[3]!.contentPath!, 'grown');
      await assert.rejects(storeLayerSegments(cs, layerTarSegments(list, 1000), undefined, workerFrom), /app_big2: content longer than its size 5001 \(changed while read\?\)/);
      fs.truncateSync(list[3]!.contentPath!, 10);
      await assert.rejects(storeLayerSegments(cs, layerTarSegments(list, 1000), undefined, workerFrom), /app_big2: content is 10 bytes, header says 5001/);
      assert.deepEqual(temps(), []);
      assert.deepEqual(fs.readdirSync(cs.blobDir), []);
    });
  }
});
