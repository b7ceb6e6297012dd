import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');
const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Runs strata asynchronously (the test's own server must keep answering meanwhile). */
function strata(root: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, STRATA_ROOT: root, DOCKER_CONFIG: path.join(root, 'no-docker') } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('strata pull: registry failures (tiny http server on 127.0.0.1)', () => {
  let server: http.Server;
  let host: string;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  let root: string;
  let hits: string[];
  const layer = Buffer.from('layer bytes');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }] }));
  const serve = (req: http.IncomingMessage, res: http.ServerResponse, blobs: Record<string, Buffer> = { [sha(layer)]: layer, [sha(config)]: config }) => {
    if (req.url!.includes('/manifests/')) { res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest); return; }
    const d = req.url!.split('/blobs/')[1]!;
    res.writeHead(200).end(blobs[d]);
  };

  before(async () => {
    server = http.createServer((req, res) => { hits.push(`${req.method} ${req.url}`); handler(req, res); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => { server.closeAllConnections(); return new Promise<void>((r) => server.close(() => r())); });
  beforeEach(() => { root = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-regerr-')); hits = []; });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const nothingStored = () => {
    const blobs = path.join(root, 'blobs', 'sha256');
    assert.deepEqual(existsSync(blobs) ? readdirSync(blobs) : [], []);
    const tmp = path.join(root, 'tmp');
    assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], []);
  };
  const failsWith = async (re: RegExp, extra: string[] = []) => {
    const r = await strata(root, ['pull', '--insecure', ...extra, `${host}/app:1`]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(r.stderr, re);
    return r;
  };

  for (const [status, text] of [[401, 'unauthorized'], [403, 'forbidden'], [404, 'not found'], [429, 'too many requests'], [500, 'internal server error']] as const) {
    it(`${status} on the manifest: one line, exit 1, nothing stored`, async () => {
      handler = (req, res) => {
        if (req.url === '/v2/') { res.writeHead(200).end(); return; }
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({ errors: [{ code: 'X', message: 'nope' }] }));
      };
      await failsWith(new RegExp(`^strata: ${host}/app:1: fetch manifest 1: ${status} ${text}: X nope\\n$`));
      const tries = hits.filter((h) => h.includes('/manifests/')).length;
      assert.equal(tries, status >= 429 ? 4 : 1, 'retries only 429/5xx, and a bounded number of times');
      nothingStored();
    });
  }

  it('500 on a blob after the manifest: nothing named, nothing stored', async () => {
    handler = (req, res) => {
      if (req.url!.includes(sha(layer))) { res.writeHead(500).end(); return; }
      serve(req, res);
    };
    await failsWith(new RegExp(`^strata: ${host}/app:1: fetch blob ${sha(layer)}: 500 internal server error\\n$`));
    assert.ok(!readdirSync(path.join(root, 'blobs', 'sha256')).includes(sha(layer).slice(7)));
    assert.ok(!readdirSync(path.join(root, 'blobs', 'sha256')).includes(sha(manifest).slice(7)));
  });

  it('a registry that stops answering: --timeout bounds the wait', async () => {
    handler = (req, res) => { if (req.url === '/v2/') res.writeHead(200).end(); /* else: never answer */ };
    const t0 = Date.now();
    await failsWith(new RegExp(`^strata: ${host}/app:1: fetch manifest: GET ${host}/v2/app/manifests/1: no answer for 0 s\\n$`), ['--timeout', '0.3']);
    assert.ok(Date.now() - t0 < 15000);
    nothingStored();
  });

  it('a blob with the wrong content: one line naming the digest, nothing stored', async () => {
    handler = (req, res) => serve(req, res, { [sha(layer)]: Buffer.from('LAYER BYTES'), [sha(config)]: config });
    await failsWith(new RegExp(`^strata: ${host}/app:1: blob ${sha(layer)}: content hashes to sha256:[0-9a-f]{64}, expected ${sha(layer)}\\n$`));
    assert.ok(!readdirSync(path.join(root, 'blobs', 'sha256')).includes(sha(layer).slice(7)));
  });

  it('the happy path against the same server pulls and names the image', async () => {
    handler = (req, res) => (req.url === '/v2/' ? res.writeHead(200).end() : serve(req, res));
    const r = await strata(root, ['pull', '--insecure', '-q', `${host}/app:1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${host}/app:1\n`);
    assert.equal(readdirSync(path.join(root, 'blobs', 'sha256')).length, 3);
  });

  it('bad arguments are one line and a non-zero exit', async () => {
    for (const args of [['pull'], ['pull', 'a', 'b'], ['pull', '--platform', 'linux', 'x'], ['push', '--chunk-size', '-1', 'x'], ['pull', '--creds', 'nocolon', 'x']]) {
      const r = await strata(root, args);
      assert.ok(r.status === 2 || r.status === 1, `${args.join(' ')}: ${r.status} ${r.stderr}`);
      assert.equal(r.stderr.split('\n').filter((l) => l && !l.startsWith('Run `strata --help`')).length, 1, r.stderr);
    }
  });
});
