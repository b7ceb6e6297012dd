import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore, StoreImage, type Descriptor } from '@strata/oci';
import { checkLogin, pull, push } from '@strata/registry';
import { startRegistry, type RegistryServer } from '../support/registry-server.js';
import { makeImage } from './make-image.js';

/**
 * A token-auth front for the real registry, as Docker Hub and most registries work: /v2/ answers 401 with a
 * Bearer challenge; /token issues a token carrying the granted scopes; every v2 call must carry a token whose
 * scopes cover the repository and action. It can also fail chosen requests once, to exercise retries.
 */
class BearerFront {
  readonly tokenRequests: { scopes: string[]; basic?: string }[] = [];
  readonly tokens = new Map<string, Set<string>>();
  failOnce = new Set<string>();
  private server: http.Server;
  port = 0;
  constructor(private readonly backend: RegistryServer) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }
  get host(): string { return `127.0.0.1:${this.port}`; }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : undefined;
      this.tokenRequests.push({ scopes, basic });
      if (basic !== 'alice:wonder') { res.writeHead(401).end(); return; }
      const token = `tok${this.tokens.size}`;
      this.tokens.set(token, new Set(scopes.flatMap((s) => { const [, repo, acts] = s.split(':'); return acts!.split(',').map((a) => `${repo}:${a}`); })));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const m = /^\/v2\/(.+?)\/(manifests|blobs)\//.exec(url.pathname);
    const need = m ? `${m[1]}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'}` : undefined;
    const granted = this.tokens.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '');
    const mountFrom = url.searchParams.get('from');
    if (!granted || (need && !granted.has(need)) || (mountFrom && !granted.has(`${mountFrom}:pull`))) {
      const scope = m ? `repository:${m[1]}:${need!.endsWith('push') ? 'pull,push' : 'pull'}` : '';
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${this.host}/token",service="front"${scope ? `,scope="${scope}"` : ''}` }).end();
      return;
    }
    const key = `${req.method} ${m?.[2] ?? ''}`;
    if (this.failOnce.delete(key)) { req.resume(); res.writeHead(key.startsWith('HEAD') ? 429 : 500, { 'retry-after': '0' }).end(); return; }
    const headers = { ...req.headers, host: this.backend.host };
    delete headers.authorization;
    const up = http.request({ host: '127.0.0.1', port: this.backend.port, method: req.method, path: req.url, headers }, (ur) => {
      const h = { ...ur.headers };
      // Keep upload locations pointing at this front, as a real token-auth registry's would.
      if (typeof h.location === 'string') h.location = h.location.replace(this.backend.url, `http://${this.host}`);
      res.writeHead(ur.statusCode!, h);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
}

describe('registry: bearer-token registry (token front on the real docker-registry)', () => {
  let backend: RegistryServer;
  let front: BearerFront;
  let root: string;
  let store: ContentStore;
  let image: Descriptor;
  const opts = { insecure: true, dockerConfig: '/nonexistent', credentials: { username: 'alice', password: 'wonder' }, backoffMs: 5 };

  before(async () => {
    backend = await startRegistry();
    front = await new BearerFront(backend).start();
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-bearer-'));
    store = new ContentStore(path.join(root, 'a'));
    image = await makeImage(store, { layers: 2, layerBytes: 50_000 });
  });
  after(async () => {
    await front.stop();
    await backend.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('push asks for pull,push scope once, retries a 500 upload and a 429 HEAD, and mounts with both scopes', async () => {
    front.failOnce = new Set(['PUT blobs', 'HEAD blobs']);
    const r = await push(new StoreImage(store, image), `${front.host}/team/app:v1`, opts);
    assert.equal(r.digest, image.digest);
    assert.equal(front.failOnce.size, 0, 'both injected failures were hit and retried');
    assert.ok(front.tokenRequests.every((t) => t.basic === 'alice:wonder'));
    assert.ok(front.tokenRequests.some((t) => t.scopes.includes('repository:team/app:pull,push')));
    const before = front.tokenRequests.length;
    const m = await push(new StoreImage(store, image), `${front.host}/team/copy:v1`, { ...opts, mountFrom: ['team/app'] });
    assert.equal(m.mounted, 3);
    const mountToken = front.tokenRequests.slice(before).find((t) => t.scopes.includes('repository:team/app:pull'));
    assert.ok(mountToken && mountToken.scopes.includes('repository:team/copy:pull,push'), JSON.stringify(front.tokenRequests.slice(before)));
  });

  it('pull gets one pull-scoped token for all blobs and verifies everything', async () => {
    const before = front.tokenRequests.length;
    const fresh = new ContentStore(path.join(root, 'b'));
    const r = await pull(`${front.host}/team/copy:v1`, { ...opts, store: fresh });
    assert.equal(r.manifest.digest, image.digest);
    assert.equal(r.fetched, 3);
    assert.deepEqual(front.tokenRequests.slice(before).map((t) => t.scopes), [['repository:team/copy:pull']]);
  });

  it('login (checkLogin) gets a token for /v2/ with the right password only', async () => {
    await checkLogin(front.host, opts);
    await assert.rejects(checkLogin(front.host, { ...opts, credentials: { username: 'alice', password: 'no' } }),
      (e: Error) => e.message === `${front.host}: token server refused the credentials (401)`);
  });

  it('a wrong password is one line naming the reference and the token server', async () => {
    await assert.rejects(pull(`${front.host}/team/app:v1`, { ...opts, credentials: { username: 'alice', password: 'no' }, store }),
      (e: Error) => e.message === `${front.host}/team/app:v1: fetch manifest: ${front.host}: token server refused the credentials (401)`);
  });
});
