import { strict as assert } from 'node:assert';
import { connect, RemoteImage } from '../src/index.js';
import { FakeRegistry } from './fake-registry.js';

describe('registry: lazy RemoteImage', () => {
  let reg: FakeRegistry;
  beforeEach(async () => { reg = await new FakeRegistry().start(); });
  afterEach(() => reg.stop());
  const v2 = () => reg.seen.filter((s) => s.url !== '/v2/').map((s) => `${s.method} ${s.url.replace(/sha256:[0-9a-f]+/, 'D')}`);

  it('fetches nothing until asked, then each piece once', async () => {
    const img = reg.addImage('lazy/app', 'v1', 'layer-content');
    const image = new RemoteImage(connect(`${reg.host}/lazy/app:v1`, { insecure: true, dockerConfig: '/x' }), 'v1');
    assert.deepEqual(v2(), []);
    const layers = await image.layers();
    assert.deepEqual(v2(), ['GET /v2/lazy/app/manifests/v1']);
    assert.equal(await layers[0]!.digest(), img.layer.digest);
    assert.equal(await layers[0]!.size(), img.layer.size);
    assert.deepEqual(v2(), ['GET /v2/lazy/app/manifests/v1']);
    assert.equal(await layers[0]!.diffId(), img.layer.digest);
    assert.equal(await image.digest(), img.digest);
    assert.deepEqual(v2(), ['GET /v2/lazy/app/manifests/v1', 'GET /v2/lazy/app/blobs/D']);
    const chunks: Buffer[] = [];
    for await (const c of await layers[0]!.uncompressed()) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'layer-content');
    assert.equal(v2().length, 3);
  });

  it('resolves an index and checks the chosen manifest size', async () => {
    const a = reg.addImage('m', 'amd', 'A', 'amd64');
    const b = reg.addImage('m', 'arm', 'B', 'arm64');
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.digest, size: a.size, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.digest, size: b.size + 1, platform: { os: 'linux', architecture: 'arm64' } },
    ] }));
    reg.manifests.set('m:all', { body: index, type: 'application/vnd.docker.distribution.manifest.list.v2+json' });
    const client = connect(`${reg.host}/m:all`, { insecure: true, dockerConfig: '/x' });
    assert.equal(await new RemoteImage(client, 'all').digest(), a.digest);
    assert.ok(await new RemoteImage(client, 'all').index());
    await assert.rejects(new RemoteImage(client, 'all', { os: 'linux', architecture: 'arm64' }).manifest(), /manifest sha256:[0-9a-f]+ is \d+ bytes, index says \d+/);
    await assert.rejects(new RemoteImage(client, 'all', { os: 'windows', architecture: 'amd64' }).manifest(), /no manifest for platform windows\/amd64 \(index has linux\/amd64, linux\/arm64\)/);
  });
});
