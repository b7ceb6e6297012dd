import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startRegistry, freePort, type RegistryServer } from '../support/registry-server.js';
import { backendScenarios } from './scenarios.js';
import { PROJECT, Runner } from './support.js';

describe('remote cache: type=registry (docker-registry on 127.0.0.1)', function () {
  this.timeout(120000);
  let reg: RegistryServer;
  let n = 0;
  let repo = '';
  before(async () => { reg = await startRegistry(); });
  after(async () => { await reg?.stop(); });
  // Each test gets its own repository: the registry is shared, the caches are not.
  beforeEach(() => { repo = `${reg.host}/ci/cache${++n}`; });

  describe('scenarios', () => {
    backendScenarios(() => ({
      to: (mode = 'max') => `type=registry,ref=${repo}:buildcache,mode=${mode}`,
      from: () => `type=registry,ref=${repo}:buildcache`,
    }));
  });

  describe('registry specifics', () => {
    let runners: Runner[] = [];
    const runner = () => { const r = new Runner(); runners.push(r); return r; };
    afterEach(() => { for (const r of runners) r.cleanup(); runners = []; });

    it('entries are tagged artifacts; a prefix keeps two caches apart in one repository', async () => {
      const A = runner();
      const ctx = A.context('proj', PROJECT);
      await A.mustBuild(ctx, ['--cache-to', `type=registry,ref=${repo}:one,mode=min`]);
      const res = await fetch(`${reg.url}/v2/${repo.slice(reg.host.length + 1)}/tags/list`);
      const tags = ((await res.json()) as { tags: string[] }).tags;
      assert.equal(tags.filter((t) => /^one-[a-f0-9]{64}$/.test(t)).length, 4, tags.join(' '));
      const B = runner();
      const other = await B.mustBuild(B.context('proj', PROJECT), ['--cache-from', `type=registry,ref=${repo}:two`]);
      assert.equal(other.meta.ran, 5, 'prefix two is empty');
      const C = runner();
      const same = await C.mustBuild(C.context('proj', PROJECT), ['--cache-from', `type=registry,ref=${repo}:one`]);
      // mode=min exported the target's chain only: the builder stage runs, the final stage hits.
      assert.equal(same.meta.cached, 4, same.log);
    });

    it('export mounts blobs the registry already holds in another repository instead of uploading them', async () => {
      const A = runner();
      const ctx = A.context('proj', PROJECT);
      const image = `${reg.host}/apps/proj:1`;
      // Layers stored gzipped locally are pushed and exported as they are: the same blobs in both repositories.
      await A.mustBuild(ctx, ['-t', image, '--push', '--insecure', '--compression', 'gzip']);
      const got = await A.mustBuild(ctx, ['--cache-to', `type=registry,ref=${repo}:m,mode=max`]);
      const ex = got.meta.remote!.exported[0]!;
      // The image's three new layers are in apps/proj already; only the builder stage's layer travels.
      assert.equal(ex.blobsMounted, 3, JSON.stringify(ex));
      assert.equal(ex.blobsUploaded, 1);
      assert.ok(ex.bytesUploaded > 400000 && ex.bytesUploaded < 500000, `uploaded ${ex.bytesUploaded} bytes`);
    });

    it('a corrupt layer inside an entry is a miss with one warning; an unreadable bundle only costs requests', async () => {
      const A = runner();
      await A.mustBuild(A.context('proj', PROJECT), ['-t', 'app', '--cache-to', `type=registry,ref=${repo}:c,mode=max`]);
      const name = repo.slice(reg.host.length + 1);
      const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
      const tags = ((await (await fetch(`${reg.url}/v2/${name}/tags/list`)).json()) as { tags: string[] }).tags.filter((t) => /^c-[a-f0-9]{64}$/.test(t));
      let bundle = '';
      let corrupted = 0;
      for (const t of tags) {
        const m = (await (await fetch(`${reg.url}/v2/${name}/manifests/${t}`, { headers: accept })).json()) as { annotations: Record<string, string> };
        const e = JSON.parse(m.annotations['dev.strata.cache.doc']!) as { state: { layers: Array<{ digest: string }> }; inline?: Record<string, string>; bundle?: { digest: string } };
        bundle = e.bundle?.digest ?? bundle;
        // The COPY app layer (top of the four-layer entry) is small: it travels inside its entry.
        if (e.state.layers.length !== 4) continue;
        const top = e.state.layers[3]!.digest;
        // An uncompressed tar rides gzipped (`gzip:` + base64): corrupt the tar itself.
        const v = e.inline![top]!;
        assert.ok(v.startsWith('gzip:'), v.slice(0, 20));
        const bytes = gunzipSync(Buffer.from(v.slice(5), 'base64'));
        bytes[bytes.length >> 1] ^= 0xff;
        e.inline![top] = `gzip:${gzipSync(bytes).toString('base64')}`;
        m.annotations['dev.strata.cache.doc'] = JSON.stringify(e);
        const put = await fetch(`${reg.url}/v2/${name}/manifests/${t}`, { method: 'PUT', headers: { 'content-type': accept.accept }, body: JSON.stringify(m) });
        assert.equal(put.status, 201);
        corrupted++;
      }
      assert.equal(corrupted, 1);
      // Without the bundle (it holds the good copy), B reads entries one by one.
      assert.match(bundle, /^sha256:/);
      assert.equal((await fetch(`${reg.url}/v2/${name}/blobs/${bundle}`, { method: 'DELETE' })).status, 202);
      const B = runner();
      const got = await B.mustBuild(B.context('proj', PROJECT), ['-t', 'app', '--cache-from', `type=registry,ref=${repo}:c`]);
      assert.equal(got.warnings.length, 1, got.log);
      assert.match(got.warnings[0]!, /blob sha256:[a-f0-9]{64} is corrupt .*rebuilding the steps that need it/);
      assert.equal(got.meta.ran, 1);
      assert.equal(got.meta.remote!.imported.bundlesRead, 0);
      assert.equal(readFileSync(path.join(B.rootfs('app'), 'app', 'main.txt'), 'utf8'), 'main v1\n');
    });

    it('a fully cached import reads one bundle instead of one entry per step', async () => {
      const A = runner();
      const a = await A.mustBuild(A.context('proj', PROJECT), ['-t', 'app', '--cache-to', `type=registry,ref=${repo}:u,mode=max`]);
      const B = runner();
      const got = await B.mustBuild(B.context('proj', PROJECT), ['-t', 'app', '--cache-from', `type=registry,ref=${repo}:u`]);
      assert.equal(got.meta.ran, 0);
      assert.equal(got.id, a.id);
      assert.equal(got.meta.remote!.imported.bundlesRead, 1);
    });

    it('an unreachable registry: one warning and a build without the cache; --cache-required fails', async () => {
      const port = await freePort();
      const B = runner();
      const ctx = B.context('proj', PROJECT);
      const got = await B.mustBuild(ctx, ['--cache-from', `type=registry,ref=127.0.0.1:${port}/x/cache`, '--cache-to', `type=registry,ref=127.0.0.1:${port}/x/cache`]);
      assert.equal(got.meta.ran, 5);
      // One place, one warning: the export to it is dropped silently once the import from it failed.
      assert.equal(got.warnings.length, 1, got.log);
      assert.match(got.warnings[0]!, /cache source registry 127\.0\.0\.1:\d+\/x\/cache:cache unusable, building without it: .*(ECONNREFUSED|refused)/);
      assert.equal(got.meta.remote?.exported.length ?? 0, 0);
      const strict = await B.buildWith(ctx, ['--cache-from', `type=registry,ref=127.0.0.1:${port}/x/cache`, '--cache-required']);
      assert.notEqual(strict.status, 0);
      assert.equal(strict.log.trim().split('\n').filter((l) => /cache-from/.test(l)).length, 1, strict.log);
    });

    it('prune --remote deletes old entries from the registry', async () => {
      const A = runner();
      await A.mustBuild(A.context('proj', PROJECT), ['--cache-to', `type=registry,ref=${repo}:p,mode=max`]);
      const kept = A.strata(['cache', 'prune', '--remote', `type=registry,ref=${repo}:p`, '--older-than', '1h']);
      assert.match(kept.stdout, /removed 0 cache entries \(5 kept\)/, kept.stderr);
      const gone = A.strata(['cache', 'prune', '--remote', `type=registry,ref=${repo}:p`]);
      // The builder stage's 400 kB layer is a blob; the three small layers travelled inside their entries.
      assert.match(gone.stdout, /removed 5 cache entries \(0 kept\) and 1 blobs/, gone.stderr);
      const left = ((await (await fetch(`${reg.url}/v2/${repo.slice(reg.host.length + 1)}/tags/list`)).json()) as { tags: string[] | null }).tags ?? [];
      assert.deepEqual(left.filter((t) => t.startsWith('p-')), [], 'no entry and no bundle left');
      const B = runner();
      const after = await B.mustBuild(B.context('proj', PROJECT), ['--cache-from', `type=registry,ref=${repo}:p`]);
      assert.equal(after.meta.ran, 5);
    });
  });
});

describe('remote cache: registry with basic auth', function () {
  this.timeout(120000);
  let reg: RegistryServer;
  before(async () => { reg = await startRegistry({ auth: { username: 'ci', password: 'right' } }); });
  after(async () => { await reg?.stop(); });

  it('bad credentials: one warning naming the refusal; the build goes on', async () => {
    const B = new Runner();
    try {
      const cfg = B.context('docker', { 'config.json': JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('ci:wrong').toString('base64') } } }) });
      const got = await B.mustBuild(B.context('proj', PROJECT), ['--cache-from', `type=registry,ref=${reg.host}/x/cache`], { DOCKER_CONFIG: cfg, HOME: cfg });
      assert.equal(got.warnings.length, 1, got.log);
      assert.match(got.warnings[0]!, /unusable, building without it: .*(401|refused|unauthorized)/);
      const ok = B.context('docker-ok', { 'config.json': JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('ci:right').toString('base64') } } }) });
      const good = await B.mustBuild(B.context('proj2', PROJECT), ['--cache-to', `type=registry,ref=${reg.host}/x/cache,mode=max`], { DOCKER_CONFIG: ok, HOME: ok });
      assert.deepEqual(good.warnings, []);
      assert.equal(good.meta.remote!.exported[0]!.entriesWritten, 5);
    } finally {
      B.cleanup();
    }
  });
});
