import { strict as assert } from 'node:assert';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { BuildEnv } from './support.js';

// Builds store layers uncompressed (as Docker's store does); what reaches a registry is gzipped.
describe('strata build --push and strata push (e2e)', function () {
  this.timeout(180_000);
  let env: BuildEnv;
  let reg: RegistryServer;
  before(async () => {
    env = new BuildEnv();
    reg = await startRegistry();
  });
  after(async () => {
    await reg.stop();
    env.cleanup();
  });

  it('pushes gzipped layers under the same image id, and the pushed image pulls and runs elsewhere', async () => {
    const dir = env.context('pushme', { 'a.txt': 'pushed content\n', Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n' });
    const ref = `${reg.host}/strata/pushme:1`;
    const r = await env.run(['build', '--progress', 'plain', '-t', ref, '--push', '--insecure', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stderr.includes(`pushed ${ref}@sha256:`), r.stderr);
    const local = JSON.parse(env.strata(['inspect', '--manifest', ref]).stdout) as { layers: Array<{ mediaType: string }> };
    assert.ok(local.layers.slice(1).every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar'), 'stored uncompressed locally');
    const remote = await env.run(['inspect', '--manifest', '--insecure', `docker://${ref}`]);
    assert.equal(remote.status, 0, remote.stderr);
    const m = JSON.parse(remote.stdout) as { config: { digest: string }; layers: Array<{ mediaType: string }> };
    assert.ok(m.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip'), 'gzipped on the wire');
    assert.equal(m.config.digest, JSON.parse(env.strata(['inspect', '--manifest', ref]).stdout).config.digest, 'same config: same image id');

    const other = new BuildEnv();
    try {
      const pulled = await other.run(['pull', '--insecure', ref]);
      assert.equal(pulled.status, 0, pulled.stderr);
      const run = await other.run(['run', ref, 'cat', '/b.txt']);
      assert.equal(run.stdout, 'pushed content\n', run.stderr);
    } finally {
      other.cleanup();
    }
  });

  it('--pull fetches a base image again when its tag moved; without it the stored one is used', async () => {
    const base = `${reg.host}/strata/base:1`;
    const v1 = env.context('pull-base-v1', { Dockerfile: 'FROM busybox\nRUN echo v1 > /version\n' });
    const v2 = env.context('pull-base-v2', { Dockerfile: 'FROM busybox\nRUN echo v2 > /version\n' });
    assert.equal((await env.run(['build', '-q', '-t', base, '--push', '--insecure', v1])).status, 0);
    const other = new BuildEnv();
    try {
      const app = other.context('pull-app', { Dockerfile: `FROM ${base}\nRUN cat /version > /seen\n` });
      const first = await other.run(['build', '--progress', 'plain', '-t', 'app:1', app]);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(other.strata(['run', 'app:1', 'cat', '/seen']).stdout, 'v1\n');
      assert.equal((await env.run(['build', '-q', '-t', base, '--push', '--insecure', v2])).status, 0, 'the tag moves');
      const stale = await other.run(['build', '--progress', 'plain', '-t', 'app:1', app]);
      assert.match(stale.stderr, /\(2 cached, 0 run\)/, 'without --pull the stored base is used');
      const pulled = await other.run(['build', '--progress', 'plain', '--pull', '-t', 'app:1', app]);
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.equal(other.strata(['run', 'app:1', 'cat', '/seen']).stdout, 'v2\n');
      const again = await other.run(['build', '--progress', 'plain', '--pull', '-t', 'app:1', app]);
      assert.match(again.stderr, /\(2 cached, 0 run\)/, 'an unmoved tag is a hit, its blobs not fetched again');
    } finally {
      other.cleanup();
    }
  });
});
