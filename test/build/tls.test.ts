import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BuildEnv, repo } from './support.js';

/** The `strata` command users run: the shell launcher in front of the bundle. */
const launcher = path.join(repo, 'packages', 'cli', 'bin', 'strata');

function run(env: BuildEnv, args: string[], extraEnv: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    delete base.NODE_EXTRA_CA_CERTS;
    const p = spawn(launcher, args, { cwd: env.work, env: { ...base, STRATA_ROOT: env.root, ...extraEnv } });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, out }));
  });
}

describe('strata launcher and TLS trust (e2e)', function () {
  this.timeout(120_000);
  let env: BuildEnv;
  let server: https.Server;
  let port = 0;
  let certFile = '';

  before(async () => {
    env = new BuildEnv();
    certFile = path.join(env.work, 'ca.pem');
    const keyFile = path.join(env.work, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    server = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (_req, res) => res.end('served over tls\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server?.close();
    env?.cleanup();
  });

  it('passes NODE_EXTRA_CA_CERTS on to strata\'s own TLS client: ADD https from a private CA works', async () => {
    const dir = env.context('tls', { Dockerfile: `FROM busybox\nADD https://127.0.0.1:${port}/hello.txt /hello.txt\nRUN cat /hello.txt\n` });
    const ok = await run(env, ['build', '--progress', 'plain', '-t', 'tls:ok', dir], { NODE_EXTRA_CA_CERTS: certFile });
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /served over tls/);
  });

  it('without the extra CA the same server is refused with one line naming TLS', async () => {
    const dir = env.context('tls2', { Dockerfile: `FROM busybox\nADD https://127.0.0.1:${port}/other.txt /other.txt\n` });
    const bad = await run(env, ['build', '--progress', 'plain', dir], {});
    assert.notEqual(bad.status, 0);
    assert.match(bad.out, /ADD https:\/\/127\.0\.0\.1:\d+\/other\.txt: .*TLS failed/);
    assert.doesNotMatch(bad.out, /\n\s+at /, 'no stack trace');
  });
});
