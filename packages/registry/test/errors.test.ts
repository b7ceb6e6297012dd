import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore } from '@strata/oci';
import { Readable } from 'node:stream';
import { connect, pull, pushBlob, RegistryError, RegistryNotFoundError, RegistryAuthError } from '../src/index.js';
import { FakeRegistry, sha } from './fake-registry.js';

describe('registry: failures are one line naming the reference', () => {
  let reg: FakeRegistry;
  let root: string;
  let store: ContentStore;
  beforeEach(async () => {
    reg = await new FakeRegistry().start();
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-reg-err-'));
    store = new ContentStore(root);
  });
  afterEach(async () => { await reg.stop(); rmSync(root, { recursive: true, force: true }); });
  const opts = () => ({ insecure: true, dockerConfig: '/nonexistent', attempts: 3, backoffMs: 5, maxBackoffMs: 20, store });
  const blobCount = () => readdirSync(store.blobDir).length;
  const oneLine = (re: RegExp) => (e: Error) => { assert.ok(!e.message.includes('\n'), e.message); assert.match(e.message, re); return true; };

  for (const [status, cls, word] of [[401, RegistryAuthError, 'unauthorized'], [403, RegistryAuthError, 'forbidden'], [404, RegistryNotFoundError, 'not found'], [429, RegistryError, 'too many requests'], [500, RegistryError, 'internal server error']] as const) {
    it(`manifest ${status}`, async () => {
      reg.hook = (req, res) => {
        if (req.url === '/v2/') return false;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'CODE', message: 'detail here' }] }));
        return true;
      };
      await assert.rejects(pull(`${reg.host}/team/app:v1`, opts()), (e: Error) => {
        assert.ok(e instanceof cls, e.constructor.name);
        return oneLine(new RegExp(`^${reg.host}/team/app:v1: fetch manifest v1: ${status} ${word}: CODE detail here$`))(e);
      });
      assert.equal(blobCount(), 0);
      if (status >= 429) assert.equal(reg.seen.filter((s) => s.url.includes('/manifests/')).length, 3, 'retried up to the bound');
    });
  }

  it('retries 503 then succeeds, honouring Retry-After', async () => {
    const img = reg.addImage('a', '1');
    let n = 0;
    reg.hook = (req, res) => {
      if (req.url!.includes('/blobs/') && n++ < 2) { res.writeHead(503, { 'retry-after': '0' }).end(); return true; }
      return false;
    };
    const r = await pull(`${reg.host}/a:1`, opts());
    assert.equal(r.manifest.digest, img.digest);
    assert.ok(await store.has(img.layer.digest as never));
  });

  it('a registry that stops answering times out', async () => {
    reg.addImage('a', '1');
    reg.hook = (req) => req.url!.includes('/manifests/'); // never answers
    const t0 = Date.now();
    await assert.rejects(pull(`${reg.host}/a:1`, { ...opts(), idleTimeoutMs: 300, attempts: 2 }), oneLine(new RegExp(`^${reg.host}/a:1: fetch manifest: GET ${reg.host}/v2/a/manifests/1: no answer for 0 s$`)));
    assert.ok(Date.now() - t0 < 5000);
  });

  it('a blob that stalls half-way times out and leaves no blob', async () => {
    const img = reg.addImage('a', '1', 'x'.repeat(100000));
    reg.hook = (req, res) => {
      if (req.url!.endsWith(img.layer.digest)) { res.writeHead(200, { 'content-length': 100000 }); res.write('x'.repeat(1000)); return true; }
      return false;
    };
    await assert.rejects(pull(`${reg.host}/a:1`, { ...opts(), idleTimeoutMs: 300, attempts: 1 }), oneLine(new RegExp(`^${reg.host}/a:1`)));
    assert.ok(!(await store.has(img.layer.digest as never)));
    assert.deepEqual(readdirSync(store.tmpDir), []);
  });

  it('a connection cut mid-blob is retried from the start', async () => {
    const img = reg.addImage('a', '1', 'y'.repeat(200000));
    let cuts = 0;
    reg.hook = (req, res) => {
      if (req.url!.endsWith(img.layer.digest) && req.method === 'GET' && cuts++ < 2) {
        res.writeHead(200, { 'content-length': 200000 });
        res.write('y'.repeat(5000), () => res.socket?.destroy());
        return true;
      }
      return false;
    };
    const r = await pull(`${reg.host}/a:1`, opts());
    assert.equal(cuts, 3);
    assert.equal(r.manifest.digest, img.digest);
    assert.ok(await store.has(img.layer.digest as never));
  });

  it('a blob whose bytes do not match its digest is rejected and not stored', async () => {
    const img = reg.addImage('a', '1', 'good-bytes');
    reg.blobs.set(img.layer.digest, Buffer.from('evil-bytes'));
    await assert.rejects(pull(`${reg.host}/a:1`, opts()), oneLine(new RegExp(`^${reg.host}/a:1: blob ${img.layer.digest}: content hashes to sha256:`)));
    assert.ok(!(await store.has(img.layer.digest as never)));
    assert.ok(!(await store.has(img.digest as never)), 'manifest not stored when a blob failed');
  });

  it('a manifest naming a missing blob: one line, nothing named', async () => {
    const img = reg.addImage('a', '1');
    reg.blobs.delete(img.layer.digest);
    const named: string[] = [];
    await assert.rejects(pull(`${reg.host}/a:1`, { ...opts(), recordName: async (n) => void named.push(n) }),
      oneLine(new RegExp(`^${reg.host}/a:1: fetch blob ${img.layer.digest}: 404 not found$`)));
    assert.deepEqual(named, []);
    assert.ok(!(await store.has(img.digest as never)));
  });

  it('a truncated blob (short body, honest length) is a size mismatch, not stored', async () => {
    const img = reg.addImage('a', '1', 'z'.repeat(1000));
    reg.blobs.set(img.layer.digest, Buffer.from('z'.repeat(600)));
    await assert.rejects(pull(`${reg.host}/a:1`, opts()), oneLine(new RegExp(`^${reg.host}/a:1: blob ${img.layer.digest}: size 600, expected 1000$`)));
    assert.ok(!(await store.has(img.layer.digest as never)));
    assert.deepEqual(readdirSync(store.tmpDir), []);
  });

  it('an upload that hangs fails within the bound and names the reference', async () => {
    reg.hook = (req, res) => {
      if (req.method === 'HEAD') { res.writeHead(404).end(); return true; }
      if (req.method === 'POST') { res.writeHead(202, { location: '/v2/a/blobs/uploads/u1' }).end(); return true; }
      req.resume();
      return true; // the PUT never gets an answer
    };
    const data = Buffer.from('blob');
    const t0 = Date.now();
    await assert.rejects(pushBlob(connect(`${reg.host}/a:1`, { ...opts(), idleTimeoutMs: 200 }, true),
      { digest: sha(data) as never, size: data.length, open: async () => Readable.from([data]) }, { attempts: 2 }),
      oneLine(new RegExp(`^${reg.host}/a:1: upload blob ${sha(data)}: PUT ${reg.host}/v2/a/blobs/uploads/u1: no answer for 0 s$`)));
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(reg.seen.filter((s) => s.method === 'PUT').length, 2, 'the upload was retried once in a new session');
    assert.equal(reg.seen.filter((s) => s.method === 'POST').length, 2);
  });

  it('a manifest fetched by digest that hashes differently is rejected', async () => {
    const img = reg.addImage('a', '1');
    const entry = reg.manifests.get(`a:${img.digest}`)!;
    reg.manifests.set(`a:${img.digest}`, { ...entry, body: Buffer.concat([entry.body, Buffer.from(' ')]) });
    await assert.rejects(pull(`${reg.host}/a@${img.digest}`, opts()), oneLine(new RegExp(`manifest content hashes to sha256:[0-9a-f]+, not the ${img.digest} asked for`)));
  });

  it('a wrong Docker-Content-Digest is rejected', async () => {
    reg.addImage('a', '1');
    reg.hook = (req, res) => {
      if (!req.url!.includes('/manifests/')) return false;
      const body = reg.manifests.get('a:1')!.body;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha('other') }).end(body);
      return true;
    };
    await assert.rejects(pull(`${reg.host}/a:1`, opts()), oneLine(/registry says manifest digest is sha256:[0-9a-f]+ but its content hashes to/));
  });

  it('a schema 1 manifest is refused in one line', async () => {
    reg.manifests.set('a:1', { body: Buffer.from('{"schemaVersion":1,"name":"a","tag":"1","fsLayers":[]}'), type: 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
    await assert.rejects(pull(`${reg.host}/a:1`, opts()), oneLine(/a:1: manifest schemaVersion 1 is not supported \(want 2\)$/));
  });

  it('malformed manifest JSON is one line', async () => {
    reg.manifests.set('a:1', { body: Buffer.from('{"schemaVersion":2,'), type: 'application/vnd.oci.image.manifest.v1+json' });
    await assert.rejects(pull(`${reg.host}/a:1`, opts()), oneLine(/a:1: manifest 1 is malformed JSON$/));
  });

  it('follows a redirect to another origin without the Authorization header', async () => {
    const img = reg.addImage('a', '1');
    const cdn = await new FakeRegistry().start();
    try {
      cdn.blobs.set(img.layer.digest, reg.blobs.get(img.layer.digest)!);
      reg.hook = (req, res) => {
        if (req.headers.authorization !== 'Basic ' + Buffer.from('u:p').toString('base64')) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
          return true;
        }
        if (req.url!.endsWith(img.layer.digest) && req.method === 'GET') {
          res.writeHead(307, { location: `http://${cdn.host}/v2/cdn/blobs/${img.layer.digest}` }).end();
          return true;
        }
        return false;
      };
      await pull(`${reg.host}/a:1`, { ...opts(), credentials: { username: 'u', password: 'p' } });
      assert.ok(await store.has(img.layer.digest as never));
      const cdnGets = cdn.seen.filter((s) => s.url.includes('/blobs/'));
      assert.equal(cdnGets.length, 1);
      assert.equal(cdnGets[0]!.headers.authorization, undefined);
    } finally { await cdn.stop(); }
  });

  it('connection refused is retried then reported', async () => {
    const port = reg.port;
    await reg.stop();
    await assert.rejects(connect(`127.0.0.1:${port}/a:1`, { insecure: true, dockerConfig: '/x', attempts: 2, backoffMs: 5 }).getManifest('1'),
      oneLine(new RegExp(`^127.0.0.1:${port}/a:1: fetch manifest: GET 127.0.0.1:${port}/v2/a/manifests/1: ECONNREFUSED$`)));
    reg = await new FakeRegistry().start();
  });
});
