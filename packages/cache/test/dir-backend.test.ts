import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, readFileSync, symlinkSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, type Digest } from '@strata/oci';
import {
  FileLayoutBackend, LocalDirOps, RemoteBlobError, RemoteCache, exportEntries, exportFileSet, importFileSet, pruneRemote,
  type CacheEntry, type LayerRef,
} from '../src/index.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

describe('directory backend, export and lazy fetch', () => {
  let dir: string;
  let cs: ContentStore;
  let be: FileLayoutBackend;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'strata-cache-unit-'));
    cs = new ContentStore(path.join(dir, 'store'));
    be = new FileLayoutBackend(new LocalDirOps(path.join(dir, 'remote')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const layer = async (data: string): Promise<LayerRef> => {
    const b = Buffer.from(data);
    const info = await cs.put(b);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: info.digest, size: info.size, diffId: sha(Buffer.from(`diff ${data}`)) };
  };
  const entry = (key: string, layers: LayerRef[]): CacheEntry => ({
    v: 1, key, state: { layers }, emptyLayer: false, preImage: { parent: null }, slot: 'stage0/1', created: new Date().toISOString(),
  });
  const key = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

  it('never replaces an entry another writer made', async () => {
    assert.equal(await be.writeEntry(key(1), Buffer.from('{"first":true}'), []), true);
    assert.equal(await be.writeEntry(key(1), Buffer.from('{"second":true}'), []), false);
    assert.equal((await be.readEntry(key(1)))!.toString(), '{"first":true}');
    assert.deepEqual(readdirSync(path.join(dir, 'remote', 'tmp')), [], 'no temp file left');
  });

  it('uploads only blobs the remote lacks, base layers never, and entries only after their blobs', async () => {
    const base = await layer('base');
    const l1 = await layer('one');
    const l2 = await layer('two');
    const e1 = entry(key(1), [base, l1]);
    const e2 = entry(key(2), [base, l1, l2]);
    const s1 = await exportEntries(be, [e1], cs, { skipBlobs: new Set([base.digest]) });
    assert.deepEqual([s1.entriesWritten, s1.blobsUploaded, s1.blobsPresent], [1, 1, 0]);
    const s2 = await exportEntries(be, [e1, e2], cs, { skipBlobs: new Set([base.digest]) });
    // e1's blobs are not checked again: the remote has e1, so it has what e1 names.
    assert.deepEqual([s2.entriesWritten, s2.entriesPresent, s2.blobsUploaded, s2.blobsPresent], [1, 1, 1, 0]);
    assert.deepEqual(s2.uploaded, [l2.digest]);
    assert.equal(s2.bytesUploaded > l2.size, true);
    assert.equal(await be.hasBlob(base.digest), false);
    assert.ok((await be.lastHits()).has(key(1)), 'a re-exported entry records its hit');
    // An entry naming a blob neither side has is not exported.
    const ghost: LayerRef = { ...l2, digest: sha(Buffer.from('ghost')) };
    const s3 = await exportEntries(be, [entry(key(3), [ghost])], cs);
    assert.equal(s3.entriesSkipped, 1);
    assert.equal(await be.readEntry(key(3)), undefined);
  });

  it('fetches a blob verified; a corrupt one is a RemoteBlobError and never enters the store', async () => {
    const l1 = await layer('payload');
    await exportEntries(be, [entry(key(1), [l1])], cs);
    const other = new ContentStore(path.join(dir, 'other'));
    const rc = new RemoteCache(be);
    assert.equal((await rc.entry(key(1)))!.key, key(1));
    assert.equal(await rc.entry(key(9)), undefined);
    await rc.fetch(l1, other);
    assert.equal(rc.stats.bytesDownloaded, l1.size);
    const third = new ContentStore(path.join(dir, 'third'));
    writeFileSync(path.join(dir, 'remote', 'blobs', 'sha256', l1.digest.slice(7)), 'pAyload');
    await assert.rejects(rc.fetch(l1, third), (e: unknown) => e instanceof RemoteBlobError && /is corrupt/.test(e.message));
    assert.equal(await third.has(l1.digest), false);
    rmSync(path.join(dir, 'remote', 'blobs', 'sha256', l1.digest.slice(7)));
    await assert.rejects(rc.fetch(l1, third), (e: unknown) => e instanceof RemoteBlobError && /is missing/.test(e.message));
  });

  it('small layers travel inside their entry: no blob file, fetched from the entry, verified', async () => {
    const inl = new FileLayoutBackend(new LocalDirOps(path.join(dir, 'inl')), 1024);
    const small = await layer('small layer');
    const s = await exportEntries(inl, [entry(key(1), [small])], cs);
    assert.deepEqual([s.blobsUploaded, s.blobsInline, s.uploaded], [1, 1, [small.digest]]);
    assert.equal(await inl.hasBlob(small.digest), false, 'no blob of its own');
    const other = new ContentStore(path.join(dir, 'other'));
    const rc = new RemoteCache(inl);
    const e = (await rc.entry(key(1)))!;
    assert.equal(e.inline, undefined, 'the local form carries no blobs');
    assert.equal(await rc.has(small.digest), true);
    await rc.fetch(small, other);
    assert.equal((await other.readBuffer(small.digest)).toString(), 'small layer');
    // An uncompressed tar rides gzipped for the trip only: the digest stays the tar's own.
    const tarData = Buffer.alloc(1000, 'x');
    const info = await cs.put(tarData);
    const tar: LayerRef = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: info.digest, size: info.size, diffId: info.digest };
    await exportEntries(inl, [entry(key(5), [tar])], cs);
    const sent = JSON.parse(readFileSync(path.join(dir, 'inl', 'entries', `${key(5).slice(7)}.json`), 'utf8')) as CacheEntry;
    assert.ok(sent.inline![tar.digest]!.startsWith('gzip:') && sent.inline![tar.digest]!.length < 200, 'gzipped: 1000 x in a few bytes');
    const rc5 = new RemoteCache(inl);
    await rc5.entry(key(5));
    await rc5.fetch(tar, other);
    assert.ok((await other.readBuffer(tar.digest)).equals(tarData));
    // A corrupt inline copy is a RemoteBlobError and never enters the store.
    const file = path.join(dir, 'inl', 'entries', `${key(2).slice(7)}.json`);
    const bad = await layer('another small one');
    await exportEntries(inl, [entry(key(2), [bad])], cs);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
    doc.inline![bad.digest] = Buffer.from('another small ONE').toString('base64');
    rmSync(file);
    writeFileSync(file, JSON.stringify(doc));
    const rc2 = new RemoteCache(inl);
    await rc2.entry(key(2));
    await assert.rejects(rc2.fetch(bad, other), (err: unknown) => err instanceof RemoteBlobError && /is corrupt/.test(err.message));
    assert.equal(await other.has(bad.digest), false);
  });

  it('an export writes one bundle: an importer reads it once, and it answers the slot\'s pre-images for explanations', async () => {
    const l1 = await layer('b1');
    const l2 = await layer('b2');
    const e1 = entry(key(1), [l1]);
    const e2 = { ...entry(key(2), [l1, l2]), slot: 'stage0/2', preImage: { parent: key(1), op: 'RUN b' } };
    await exportEntries(be, [e1, e2], cs, { now: new Date('2026-01-02T03:04:05Z') });
    const names = await be.listBundles();
    assert.equal(names.length, 1);
    assert.match(names[0]!, /^20260102030405-[a-f0-9]{16}$/);
    // A reader that hit nothing finds the slot's pre-images in the newest bundles.
    const fresh = new RemoteCache(be);
    const pre = await fresh.entriesOfSlot('stage0/2');
    assert.deepEqual(pre.map((e) => e.key), [key(2)]);
    assert.deepEqual(pre[0]!.preImage, { parent: key(1), op: 'RUN b' });
    const rc = new RemoteCache(be);
    assert.equal((await rc.entry(key(1)))!.key, key(1));
    // With e2's own file gone, the second probe can only be answered from the bundle the first one brought.
    rmSync(path.join(dir, 'remote', 'entries', `${key(2).slice(7)}.json`));
    assert.equal((await rc.entry(key(2)))?.key, key(2));
    assert.equal(rc.stats.bundlesRead, 1);
    assert.equal(await new RemoteCache(be).entry(key(2)), undefined);
    // Prune takes bundles older than the cutoff with it.
    await pruneRemote(be, undefined);
    assert.deepEqual(await be.listBundles(), []);
  });

  it('a malformed or mislabelled entry reads as absent', async () => {
    await be.writeEntry(key(1), Buffer.from('not json'), []);
    await be.writeEntry(key(2), Buffer.from(JSON.stringify(entry(key(3), []))), []);
    const rc = new RemoteCache(be);
    assert.equal(await rc.entry(key(1)), undefined);
    assert.equal(await rc.entry(key(2)), undefined);
  });

  it('prunes entries by last hit and deletes only blobs no remaining entry names', async () => {
    const shared = await layer('shared');
    const own = await layer('own');
    await exportEntries(be, [entry(key(1), [shared, own]), entry(key(2), [shared])], cs);
    const now = Date.now();
    const h = 3600_000;
    await be.markHits([key(2)], new Date(now + 2.5 * h));
    // Three hours on: key 1 was last used at its creation (3 h ago), key 2 half an hour ago.
    const r = await pruneRemote(be, h, now + 3 * h);
    assert.deepEqual([r.entries, r.kept, r.blobs], [1, 1, 1]);
    assert.deepEqual(await be.listEntries(), [key(2)]);
    assert.equal(await be.hasBlob(own.digest), false);
    assert.equal(await be.hasBlob(shared.digest), true, 'a blob a remaining entry names is kept');
    const all = await pruneRemote(be, undefined);
    assert.equal(all.kept, 0);
    assert.deepEqual(await be.listEntries(), []);
    assert.equal(await be.hasBlob(shared.digest), false);
  });

  it('file sets: only changed files travel; restore keeps modes, links and contents; paths cannot escape', async () => {
    const src = path.join(dir, 'mount');
    mkdirSync(path.join(src, 'sub'), { recursive: true });
    writeFileSync(path.join(src, 'a'), 'alpha');
    writeFileSync(path.join(src, 'sub', 'b'), 'beta');
    chmodSync(path.join(src, 'sub', 'b'), 0o600);
    symlinkSync('sub/b', path.join(src, 'link'));
    const s1 = await exportFileSet(be, 'm1', src);
    assert.deepEqual([s1.files, s1.transferred], [2, 2]);
    writeFileSync(path.join(src, 'a'), 'alpha 2');
    const s2 = await exportFileSet(be, 'm1', src);
    assert.deepEqual([s2.files, s2.transferred], [2, 1]);
    const dest = path.join(dir, 'restored');
    const r = await importFileSet(be, 'm1', dest);
    assert.deepEqual([r!.files, r!.transferred], [2, 2]);
    assert.equal(readFileSync(path.join(dest, 'a'), 'utf8'), 'alpha 2');
    assert.equal(readFileSync(path.join(dest, 'link'), 'utf8'), 'beta');
    const again = await importFileSet(be, 'm1', dest);
    assert.equal(again!.transferred, 0, 'unchanged files are not fetched again');
    assert.equal(await importFileSet(be, 'absent', dest), undefined);
    // A hostile set naming ../ is refused.
    const doc = Buffer.from(JSON.stringify({ v: 1, entries: [{ path: '../evil', type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeMs: 0, size: 1, digest: sha(Buffer.from('x')) }] }));
    await be.writeBlob({ mediaType: 'x', digest: sha(doc), size: doc.length }, async () => Readable.from([doc]));
    await be.writePointer('mount-evil', Buffer.from(JSON.stringify({ set: { mediaType: 'x', digest: sha(doc), size: doc.length } })), []);
    await assert.rejects(importFileSet(be, 'evil', dest), /leaves the cache mount/);
  });
});
