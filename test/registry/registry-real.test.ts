import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore, StoreImage, MediaType, type Descriptor } from '@strata/oci';
import { connect, pull, push, pushFromStore, RemoteImage, RegistryAuthError } from '@strata/registry';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { makeImage } from './make-image.js';

const quiet = { dockerConfig: '/nonexistent/config.json', insecure: true };

for (const withAuth of [false, true]) {
  describe(`registry: real docker-registry ${withAuth ? 'with htpasswd basic auth' : 'without auth'}`, () => {
    let reg: RegistryServer;
    let root: string;
    let store: ContentStore;
    let image: Descriptor;
    const creds = { username: 'strata', password: 'pa:ss word' };
    const opts = () => ({ ...quiet, ...(withAuth ? { credentials: creds } : {}) });

    before(async () => {
      reg = await startRegistry(withAuth ? { auth: creds } : {});
      root = mkdtempSync(path.join(os.tmpdir(), 'strata-reg-real-'));
      store = new ContentStore(path.join(root, 'a'));
      image = await makeImage(store, { layers: 3, layerBytes: 300_000 });
    });
    after(async () => {
      await reg.stop();
      rmSync(root, { recursive: true, force: true });
    });

    it('pushes (monolithic), then a second push finds every blob present', async () => {
      const r = await push(new StoreImage(store, image), `${reg.host}/team/app:v1`, opts());
      assert.equal(r.digest, image.digest);
      assert.equal(r.uploaded, 4);
      const again = await push(new StoreImage(store, image), `${reg.host}/team/app:v1`, opts());
      assert.deepEqual([again.uploaded, again.mounted, again.existing], [0, 0, 4]);
      const head = await connect(`${reg.host}/team/app:v1`, opts()).headManifest('v1');
      assert.equal(head?.digest, image.digest);
      assert.equal(head?.mediaType, MediaType.ociManifest);
    });

    it('mounts blobs from another repository of the same registry', async () => {
      const r = await push(new StoreImage(store, image), `${reg.host}/other/app:v1`, { ...opts(), mountFrom: ['team/app'] });
      assert.deepEqual([r.uploaded, r.mounted, r.existing], [0, 4, 0]);
    });

    it('uploads in chunks', async () => {
      const r = await push(new StoreImage(store, image), `${reg.host}/chunked:v1`, { ...opts(), chunkSize: 65536 });
      assert.equal(r.uploaded, 4);
      const fresh = new ContentStore(path.join(root, 'chunked'));
      const p = await pull(`${reg.host}/chunked:v1`, { ...opts(), store: fresh });
      assert.equal(p.manifest.digest, image.digest);
    });

    it('pulls by tag and by digest into a fresh store, byte-identical; a second pull fetches nothing', async () => {
      const fresh = new ContentStore(path.join(root, 'b'));
      const named: string[] = [];
      const r = await pull(`${reg.host}/team/app:v1`, { ...opts(), store: fresh, recordName: async (n) => void named.push(n) });
      assert.equal(r.manifest.digest, image.digest);
      assert.equal(r.fetched, 4);
      assert.deepEqual(named, [`${reg.host}/team/app:v1`]);
      for (const b of readdirSync(store.blobDir)) assert.deepEqual(readFileSync(path.join(fresh.blobDir, b)), readFileSync(path.join(store.blobDir, b)));
      const again = await pull(`${reg.host}/team/app@${image.digest}`, { ...opts(), store: fresh });
      assert.deepEqual([again.fetched, again.present], [0, 4]);
    });

    it('resolves an index to the platform asked for', async () => {
      const arm = await makeImage(store, { layers: 1, arch: 'arm64', seed: 'arm' });
      await push(new StoreImage(store, arm), `${reg.host}/multi:arm64`, opts());
      await push(new StoreImage(store, image), `${reg.host}/multi:amd64`, opts());
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [
        { ...image, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ] }));
      await connect(`${reg.host}/multi:all`, opts(), true).putManifest('all', index, MediaType.ociIndex);
      const fresh = new ContentStore(path.join(root, 'c'));
      const a = await pull(`${reg.host}/multi:all`, { ...opts(), store: fresh });
      assert.equal(a.manifest.digest, image.digest);
      assert.ok(a.index);
      const b = await pull(`${reg.host}/multi:all`, { ...opts(), store: fresh, platform: { os: 'linux', architecture: 'arm64' } });
      assert.equal(b.manifest.digest, arm.digest);
    });

    it('pushes a multi-platform index whole from the store (children by digest, index by tag)', async () => {
      const arm = await makeImage(store, { layers: 1, arch: 'arm64', seed: 'arm2' });
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [
        { ...image, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm, platform: { os: 'linux', architecture: 'arm64' } },
      ] }));
      const info = await store.put(index);
      const r = await pushFromStore(store, { mediaType: MediaType.ociIndex, ...info }, `${reg.host}/multi2:all`, opts());
      assert.equal(r.digest, info.digest);
      const client = connect(`${reg.host}/multi2:all`, opts());
      assert.equal((await client.headManifest('all'))?.digest, info.digest);
      assert.ok(await client.headManifest(arm.digest));
      const fresh = new ContentStore(path.join(root, 'idx'));
      const p = await pull(`${reg.host}/multi2:all`, { ...opts(), store: fresh, platform: { os: 'linux', architecture: 'arm64' } });
      assert.equal(p.manifest.digest, arm.digest);
      // Only one platform is in `fresh` now: pushing that index whole is refused in one line.
      await assert.rejects(pushFromStore(fresh, p.index!, `${reg.host}/multi3:all`, opts()), /multi3:all: index entry linux\/amd64 \(sha256:[0-9a-f]+\) is not in the local store; cannot push the index whole$/);
    });

    it('lazy RemoteImage reads nothing until asked, then streams a verified layer', async () => {
      const img = new RemoteImage(connect(`${reg.host}/team/app:v1`, opts()), 'v1');
      const layers = await img.layers();
      assert.equal(layers.length, 3);
      assert.equal(await layers[0]!.diffId(), (await img.config()).rootfs.diff_ids[0]);
      const chunks: Buffer[] = [];
      for await (const c of await layers[0]!.uncompressed()) chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).length > 300_000);
    });

    it('a missing tag is one line naming the reference', async () => {
      await assert.rejects(pull(`${reg.host}/team/app:nope`, { ...opts(), store }), (e: Error) => /^127\.0\.0\.1:\d+\/team\/app:nope: fetch manifest nope: 404 not found: MANIFEST_UNKNOWN/.test(e.message) && !e.message.includes('\n'));
    });

    if (withAuth) {
      it('refuses without credentials and with a wrong password; reads ~/.docker/config.json', async () => {
        await assert.rejects(pull(`${reg.host}/team/app:v1`, { ...quiet, store }), (e: Error) => e instanceof RegistryAuthError && /authentication required/.test(e.message));
        await assert.rejects(pull(`${reg.host}/team/app:v1`, { ...quiet, store, credentials: { username: 'strata', password: 'wrong' } }), /credentials rejected \(401\)/);
        const cfg = path.join(root, 'config.json');
        writeFileSync(cfg, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }));
        const r = await pull(`${reg.host}/team/app:v1`, { insecure: true, dockerConfig: cfg, store: new ContentStore(path.join(root, 'd')) });
        assert.equal(r.manifest.digest, image.digest);
      });
    }
  });
}
