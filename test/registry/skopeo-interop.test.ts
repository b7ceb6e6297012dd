import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore, StoreImage, MediaType, type Descriptor } from '@strata/oci';
import { pull, push } from '@strata/registry';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { makeImage } from './make-image.js';

function skopeo(...args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('registry: skopeo interop (real docker-registry)', () => {
  let reg: RegistryServer;
  let root: string;
  let store: ContentStore;
  let image: Descriptor;
  const creds = { username: 'sk', password: 'opeo' };
  const opts = { dockerConfig: '/nonexistent', insecure: true, credentials: creds };
  const sk = ['--tls-verify=false', '--creds', `${creds.username}:${creds.password}`];

  before(async () => {
    reg = await startRegistry({ auth: creds });
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-skopeo-'));
    store = new ContentStore(path.join(root, 'store'));
    image = await makeImage(store, { layers: 2, layerBytes: 100_000 });
  });
  after(async () => {
    await reg.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an image strata pushes passes skopeo inspect and skopeo copy', async () => {
    const r = await push(new StoreImage(store, image), `${reg.host}/strata/img:1`, opts);
    const info = JSON.parse(skopeo('inspect', ...sk, `docker://${reg.host}/strata/img:1`)) as { Digest: string; Layers: string[]; Architecture: string };
    assert.equal(info.Digest, r.digest);
    assert.equal(info.Architecture, 'amd64');
    const manifest = JSON.parse((await store.readBuffer(image.digest)).toString()) as { layers: { digest: string }[] };
    assert.deepEqual(info.Layers, manifest.layers.map((l) => l.digest));
    assert.deepEqual(Buffer.from(skopeo('inspect', ...sk, '--raw', `docker://${reg.host}/strata/img:1`)), await store.readBuffer(image.digest));
    const layout = path.join(root, 'layout');
    skopeo('copy', '--src-tls-verify=false', '--src-creds', `${creds.username}:${creds.password}`, `docker://${reg.host}/strata/img:1`, `oci:${layout}:img`);
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    assert.equal(index.manifests[0]!.digest, image.digest);
  });

  it('an image skopeo pushes (from a umoci-made layout, and converted to Docker schema 2) is pulled by strata', async () => {
    const layout = path.join(root, 'umoci');
    const bundle = path.join(root, 'bundle');
    execFileSync('umoci', ['init', '--layout', layout]);
    execFileSync('umoci', ['new', '--image', `${layout}:latest`]);
    execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, bundle]);
    writeFileSync(path.join(bundle, 'rootfs', 'hello.txt'), 'hello from umoci\n');
    execFileSync('umoci', ['repack', '--image', `${layout}:latest`, bundle]);
    execFileSync('umoci', ['config', '--image', `${layout}:latest`, '--config.cmd', '/bin/true']);
    skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `${creds.username}:${creds.password}`, `oci:${layout}:latest`, `docker://${reg.host}/umoci/img:latest`);
    const digest = JSON.parse(skopeo('inspect', ...sk, `docker://${reg.host}/umoci/img:latest`)).Digest as string;
    const fresh = new ContentStore(path.join(root, 'fresh'));
    const r = await pull(`${reg.host}/umoci/img:latest`, { ...opts, store: fresh });
    assert.equal(r.manifest.digest, digest);
    assert.ok(r.fetched >= 2);

    skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', `${creds.username}:${creds.password}`, '--dest-creds', `${creds.username}:${creds.password}`,
      '--format', 'v2s2', `docker://${reg.host}/umoci/img:latest`, `docker://${reg.host}/umoci/docker:v2s2`);
    const d = await pull(`${reg.host}/umoci/docker:v2s2`, { ...opts, store: fresh });
    assert.equal(d.manifest.mediaType, MediaType.dockerManifest);
    const dm = JSON.parse((await fresh.readBuffer(d.manifest.digest)).toString()) as { config: Descriptor; layers: Descriptor[] };
    for (const b of [dm.config, ...dm.layers]) assert.ok(await fresh.has(b.digest), b.digest);

    // Pushed back by strata, the Docker manifest keeps its media type and digest.
    const back = await push(new StoreImage(fresh, d.manifest), `${reg.host}/strata/docker:back`, { ...opts, mountFrom: ['umoci/docker'] });
    assert.equal(back.digest, d.manifest.digest);
    assert.equal(back.mediaType, MediaType.dockerManifest);
    const raw = JSON.parse(skopeo('inspect', ...sk, '--raw', `docker://${reg.host}/strata/docker:back`)) as { mediaType: string };
    assert.equal(raw.mediaType, MediaType.dockerManifest);
    assert.equal(JSON.parse(skopeo('inspect', ...sk, `docker://${reg.host}/strata/docker:back`)).Digest, d.manifest.digest);
  });
});
