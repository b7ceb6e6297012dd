import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credentialsFromDockerConfig, parseCredsOption, RegistryAuthError } from '../src/index.js';
import { FakeRegistry } from './fake-registry.js';

function basicOf(h: string | undefined): string | undefined {
  return h?.startsWith('Basic ') ? Buffer.from(h.slice(6), 'base64').toString() : undefined;
}

describe('registry: credentials', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'strata-creds-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads base64 auth, username/password, and Docker Hub keys from config.json', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ auths: {
      '127.0.0.1:5000': { auth: Buffer.from('alice:s3:cr3t').toString('base64') },
      'https://reg.example/': { username: 'bob', password: 'pw' },
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:tok').toString('base64') },
    } }));
    assert.deepEqual(credentialsFromDockerConfig('127.0.0.1:5000', file), { username: 'alice', password: 's3:cr3t' });
    assert.deepEqual(credentialsFromDockerConfig('reg.example', file), { username: 'bob', password: 'pw' });
    assert.deepEqual(credentialsFromDockerConfig('docker.io', file), { username: 'hub', password: 'tok' });
    assert.equal(credentialsFromDockerConfig('other:1', file), undefined);
    assert.equal(credentialsFromDockerConfig('x', path.join(dir, 'absent.json')), undefined);
  });
  it('rejects malformed config.json and --creds in one line', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{nope');
    assert.throws(() => credentialsFromDockerConfig('x', file), /config\.json: malformed JSON/);
    assert.throws(() => parseCredsOption('nocolon'), /--creds: want USER:PASSWORD/);
    assert.deepEqual(parseCredsOption('u:p:q'), { username: 'u', password: 'p:q' });
  });
});

describe('registry: auth flows against a fake registry', () => {
  let reg: FakeRegistry;
  beforeEach(async () => { reg = await new FakeRegistry().start(); });
  afterEach(() => reg.stop());
  const opts = { insecure: true, dockerConfig: '/nonexistent', attempts: 2, backoffMs: 5 };

  it('bearer: fetches a token with service and scope, sends creds to the token server, caches the token', async () => {
    const img = reg.addImage('team/app', 'v1');
    let tokenCalls = 0;
    reg.hook = (req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/token') {
        tokenCalls++;
        assert.equal(url.searchParams.get('service'), 'fake');
        assert.deepEqual(url.searchParams.getAll('scope'), ['repository:team/app:pull']);
        assert.equal(basicOf(req.headers.authorization), 'u:p');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'T0K', expires_in: 300 }));
        return true;
      }
      if (url.pathname.startsWith('/v2/') && req.headers.authorization !== 'Bearer T0K') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${reg.host}/token",service="fake",scope="repository:team/app:pull"` }).end();
        return true;
      }
      return false;
    };
    const client = connect(`${reg.host}/team/app:v1`, { ...opts, credentials: { username: 'u', password: 'p' } });
    const m = await client.getManifest('v1');
    assert.equal(m.digest, img.digest);
    assert.equal(await client.hasBlob(img.layer.digest as never), true);
    assert.equal(await client.hasBlob(img.config.digest as never), true);
    assert.equal(tokenCalls, 1);
    // The registry host never sees the password, only the token.
    assert.ok(reg.seen.filter((s) => s.url.startsWith('/v2/')).every((s) => !basicOf(s.headers.authorization as string)));
  });

  it('bearer: a refused token request is one line naming the registry', async () => {
    reg.hook = (req, res) => {
      if (req.url!.startsWith('/token')) { res.writeHead(401).end(); return true; }
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${reg.host}/token",service="fake"` }).end();
      return true;
    };
    const client = connect(`${reg.host}/a:1`, { ...opts, credentials: { username: 'u', password: 'bad' } });
    await assert.rejects(client.getManifest('1'), (e: Error) => e instanceof RegistryAuthError && e.message.startsWith(`${reg.host}/a:1: fetch manifest: ${reg.host}: token server refused the credentials (401)`));
  });

  it('bearer: a token without push rights gives one line naming the scope', async () => {
    reg.hook = (req, res) => {
      if (req.url!.startsWith('/token')) { res.writeHead(200).end(JSON.stringify({ access_token: 'ro' })); return true; }
      const scope = req.method === 'PUT' ? 'repository:a:pull,push' : 'repository:a:pull';
      const err = req.headers.authorization ? ',error="insufficient_scope"' : '';
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${reg.host}/token",service="fake",scope="${scope}"${err}` }).end();
      return true;
    };
    const client = connect(`${reg.host}/a:1`, opts, true);
    await assert.rejects(client.putManifest('1', Buffer.from('{}'), 'application/vnd.oci.image.manifest.v1+json'),
      (e: Error) => e instanceof RegistryAuthError && e.message === `${reg.host}/a:1: upload manifest: ${reg.host}: not authorized for repository:a:pull,push (401 insufficient_scope)`);
  });

  it('bearer: an identitytoken from config.json is sent as an OAuth refresh token (POST)', async () => {
    reg.addImage('a', '1');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-idtok-'));
    try {
      const file = path.join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'REFRESH' } } }));
      let form: URLSearchParams | undefined;
      reg.hook = async (req, res) => {
        if (req.url === '/token') {
          let body = '';
          for await (const c of req) body += c;
          form = new URLSearchParams(body);
          res.writeHead(200).end(JSON.stringify({ access_token: 'AT' }));
          return true;
        }
        if (req.headers.authorization === 'Bearer AT') return false;
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${reg.host}/token",service="svc"` }).end();
        return true;
      };
      await connect(`${reg.host}/a:1`, { insecure: true, dockerConfig: file }).getManifest('1');
      assert.equal(form?.get('grant_type'), 'refresh_token');
      assert.equal(form?.get('refresh_token'), 'REFRESH');
      assert.equal(form?.get('service'), 'svc');
      assert.equal(form?.get('scope'), 'repository:a:pull');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('basic: retries with credentials after the challenge; without credentials says so', async () => {
    reg.addImage('a', '1');
    reg.hook = (req, res) => {
      if (basicOf(req.headers.authorization) === 'u:p') return false;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
      return true;
    };
    await connect(`${reg.host}/a:1`, { ...opts, credentials: { username: 'u', password: 'p' } }).getManifest('1');
    await assert.rejects(connect(`${reg.host}/a:1`, opts).getManifest('1'), /authentication required \(use --creds or strata login\)/);
    await assert.rejects(connect(`${reg.host}/a:1`, { ...opts, credentials: { username: 'u', password: 'x' } }).getManifest('1'), /credentials rejected \(401\)/);
  });

  it('insecure is needed for http: without it the client speaks https and fails', async () => {
    reg.addImage('a', '1');
    await assert.rejects(connect(`${reg.host}/a:1`, { dockerConfig: '/nonexistent', attempts: 1 }).getManifest('1'), (e: Error) => e.message.startsWith(`${reg.host}/a:1: fetch manifest:`));
  });
});
