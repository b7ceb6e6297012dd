import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildImage, convertImage, digestOf, LocalStore, MediaType, normaliseImageName, parseConfig, parseIndex, parseManifest,
  storeLayerTar, writeLayerTar, NotFoundError,
} from '../src/index.js';
import { collect, dirEntry, fileEntry } from './tar-helpers.js';

const d = (c: string) => digestOf(c);

describe('image documents', () => {
  const good = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: d('c'), size: 1 }, layers: [{ mediaType: MediaType.ociLayerGzip, digest: d('l'), size: 3 }] };
  const bad: Array<[string, unknown, RegExp]> = [
    ['schemaVersion', { ...good, schemaVersion: 1 }, /^ValidationError: m: schemaVersion: must be 2/],
    ['config digest', { ...good, config: { ...good.config, digest: 'sha256:xyz' } }, /^ValidationError: m: config\.digest: invalid digest/],
    ['layer size', { ...good, layers: [{ ...good.layers[0], size: -1 }] }, /^ValidationError: m: layers\[0\]\.size: invalid size/],
    ['layer mediaType', { ...good, layers: [{ digest: d('l'), size: 1 }] }, /^ValidationError: m: layers\[0\]\.mediaType: missing/],
    ['media type', { ...good, mediaType: MediaType.ociIndex }, /^ValidationError: m: mediaType: .* is not an image manifest/],
    ['layers', { ...good, layers: undefined }, /^ValidationError: m: layers: missing/],
  ];
  for (const [what, doc, re] of bad) it(`names the field for a bad ${what}`, () => assert.throws(() => parseManifest(JSON.stringify(doc), 'm'), re));
  it('rejects malformed JSON in one line', () => assert.throws(() => parseManifest('{"schemaVersion": 2,', 'm'), /^ValidationError: m: malformed JSON \([^\n]*\)$/));
  it('accepts OCI and Docker manifests and indexes', () => {
    parseManifest(JSON.stringify(good));
    parseManifest(JSON.stringify({ ...good, mediaType: MediaType.dockerManifest }));
    parseIndex(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [{ ...good.config, mediaType: MediaType.dockerManifest, platform: { os: 'linux', architecture: 'amd64' } }] }));
  });
  it('checks configs: rootfs, diff_ids, history count', () => {
    const c = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [d('x')] } };
    parseConfig(JSON.stringify(c));
    assert.throws(() => parseConfig(JSON.stringify({ ...c, rootfs: { type: 'layers', diff_ids: ['nope'] } }), 'c'), /^ValidationError: c: rootfs\.diff_ids\[0\]: invalid digest/);
    assert.throws(() => parseConfig(JSON.stringify({ ...c, os: undefined }), 'c'), /^ValidationError: c: os: missing/);
    assert.throws(() => parseConfig(JSON.stringify({ ...c, history: [{}, {}] }), 'c'), /^ValidationError: c: history: 2 non-empty entries for 1 layers/);
    assert.throws(() => parseConfig(JSON.stringify({ ...c, config: { Env: 'A=1' } }), 'c'), /^ValidationError: c: config\.Env: must be an array of strings/);
  });
  it('normalises names as docker shows them', () => {
    assert.equal(normaliseImageName('busybox'), 'busybox:latest');
    assert.equal(normaliseImageName('docker.io/library/alpine:3.19'), 'alpine:3.19');
    assert.equal(normaliseImageName('localhost:5000/a/b'), 'localhost:5000/a/b:latest');
    assert.throws(() => normaliseImageName('UPPER'), /invalid repository name/);
  });
});

describe('local image store', () => {
  let root: string;
  let store: LocalStore;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-img-'));
    store = new LocalStore(root);
  });
  afterEach(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function makeImage(content: string, format: 'oci' | 'docker' = 'oci') {
    const l = await storeLayerTar(store.content, writeLayerTar([dirEntry('etc'), fileEntry('etc/hello', content)]));
    return buildImage({ config: { created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] } }, layers: [{ layer: l.layer, history: { created_by: 'test' } }], format });
  }

  it('builds, saves, names, lists, tags and removes images', async () => {
    const img = await makeImage('hi');
    const desc = await store.save(img, ['test:one']);
    assert.equal(desc.mediaType, MediaType.ociManifest);
    const back = await store.image('test:one');
    assert.equal(await back.digest(), desc.digest);
    assert.deepEqual((await back.config()).config!.Cmd, ['sh']);
    const layer = (await back.layers())[0]!;
    assert.equal(await layer.diffId(), (await back.config()).rootfs.diff_ids[0]);
    const tar = await collect(await layer.uncompressed());
    assert.equal(digestOf(tar), await layer.diffId());
    await store.tag('test:one', 'other');
    const list = await store.list();
    assert.deepEqual(list.map((x) => x.name), ['other:latest', 'test:one']);
    assert.equal(list[0]!.id, (await back.manifest()).config.digest);
    assert.equal((await store.image(list[0]!.id.slice(7, 19))).constructor.name, 'StoreImage');
    let r = await store.remove('test:one');
    assert.deepEqual(r.deleted, []);
    r = await store.remove('other');
    assert.equal(r.deleted.length, 3);
    assert.equal((await store.content.fsck()).checked, 0);
    await assert.rejects(store.image('other'), NotFoundError);
  });

  it('keeps layers another image still uses', async () => {
    const a = await makeImage('shared');
    await store.save(a, ['a']);
    const b = await buildImage({ base: a, config: { config: { Cmd: ['other'] } }, layers: [], emptyHistory: [{ created_by: 'CMD other' }] });
    assert.equal((await b.config()).history!.length, 2);
    assert.deepEqual((await b.config()).rootfs.diff_ids, (await a.config()).rootfs.diff_ids);
    await store.save(b, ['b']);
    const r = await store.remove('a');
    assert.ok(!r.deleted.includes((await a.manifest()).layers[0]!.digest));
    assert.equal((await store.fsck()).problems.length, 0);
  });

  it('converts between OCI and Docker manifests keeping config and layer bytes', async () => {
    const img = await makeImage('x');
    const docker = await convertImage(img, 'docker');
    const m = await docker.manifest();
    assert.equal(m.mediaType, MediaType.dockerManifest);
    assert.equal(m.layers[0]!.mediaType, MediaType.dockerLayerGzip);
    assert.equal(m.config.digest, (await img.manifest()).config.digest);
    await store.save(docker, ['d']);
    assert.equal((await (await store.image('d')).manifest()).mediaType, MediaType.dockerManifest);
  });

  it('fsck reports a missing layer of a named image', async () => {
    const img = await makeImage('x');
    await store.save(img, ['x']);
    await store.content.delete((await img.manifest()).layers[0]!.digest);
    const r = await store.fsck();
    assert.ok(r.problems.some((p) => /layer of x:latest is missing/.test(p.problem)));
  });

  it('several processes name images in one store at once', async () => {
    const mod = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.js');
    const script = `
      import { LocalStore, buildImage } from ${JSON.stringify(mod)};
      const s = new LocalStore(process.argv[1]);
      for (let i = 0; i < 15; i++) {
        const img = await buildImage({ config: { created: new Date(i * 1000).toISOString(), author: process.argv[2] }, layers: [] });
        await s.save(img, ['p' + process.argv[2] + ':' + i, 'shared:latest']);
      }
      s.close();`;
    await Promise.all(['1', '2', '3'].map((n) => new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, root, n], { stdio: 'inherit' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
    })));
    const names = (await store.list()).map((x) => x.name);
    assert.equal(names.length, 46);
    assert.equal((await store.fsck()).problems.length, 0);
  });

  it('takes over the names of an older store\'s state.db on first use, once', async () => {
    const old = mkdtempSync(path.join(os.tmpdir(), 'strata-names-migrate-'));
    try {
      const seed = new LocalStore(path.join(old, 'seed'));
      const img = await buildImage({ config: { created: new Date(0).toISOString() }, layers: [] });
      const desc = await seed.save(img, []);
      const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
      const db = new Database(path.join(old, 'seed', 'state.db'));
      db.exec('CREATE TABLE images (name TEXT PRIMARY KEY, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL, updated INTEGER NOT NULL)');
      db.prepare('INSERT INTO images VALUES (?, ?, ?, ?, ?)').run('old:1', desc.digest, desc.mediaType, desc.size, 42);
      db.close();
      rmSync(path.join(old, 'seed', 'names'), { recursive: true, force: true });
      const s = new LocalStore(path.join(old, 'seed'));
      assert.deepEqual((await s.list()).map((x) => x.name), ['old:1']);
      assert.equal((await s.image('old:1').then((i) => i.digest())), desc.digest);
      s.names.delete('old:1');
      assert.deepEqual((await new LocalStore(path.join(old, 'seed')).list()), [], 'state.db is read only while names/ does not exist');
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});
