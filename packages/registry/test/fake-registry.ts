import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake registry saw. */
export interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders }

/** A handler may answer a request itself (return true) or let the in-memory v2 store answer it. */
export type Hook = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

export function sha(b: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

/**
 * A tiny distribution-v2 server on 127.0.0.1 for the cases the real registry cannot produce: error statuses,
 * bearer-token auth, redirects, wrong digests and connections that hang. Serves manifests and blobs from maps.
 */
export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { body: Buffer; type: string }>();
  readonly seen: Seen[] = [];
  hook: Hook | undefined;
  private server = http.createServer((req, res) => void this.handle(req, res));
  private sockets = new Set<import('node:net').Socket>();
  port = 0;

  get host(): string { return `127.0.0.1:${this.port}`; }

  async start(): Promise<this> {
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Adds a blob, returns its descriptor. */
  addBlob(data: Buffer | string, mediaType = 'application/octet-stream') {
    const b = Buffer.from(data);
    const digest = sha(b);
    this.blobs.set(digest, b);
    return { mediaType, digest, size: b.length };
  }

  /** Adds a one-layer image under repo:tag; returns its manifest digest and parts. */
  addImage(repo: string, tag: string, layerData = 'layer-bytes', arch = 'amd64') {
    const layer = this.addBlob(layerData, 'application/vnd.oci.image.layer.v1.tar');
    const config = this.addBlob(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }), 'application/vnd.oci.image.config.v1+json');
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }));
    const digest = sha(body);
    const entry = { body, type: 'application/vnd.oci.image.manifest.v1+json' };
    this.manifests.set(`${repo}:${tag}`, entry);
    this.manifests.set(`${repo}:${digest}`, entry);
    return { digest, size: body.length, layer, config };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (this.hook && (await this.hook(req, res))) return;
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') { res.writeHead(200).end('{}'); return; }
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const e = this.manifests.get(`${m[1]}:${m[2]}`);
      if (!e) { res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] })); return; }
      res.writeHead(200, { 'content-type': e.type, 'content-length': e.body.length, 'docker-content-digest': sha(e.body) });
      res.end(req.method === 'HEAD' ? undefined : e.body);
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]+)$/.exec(url.pathname);
    if (m) {
      const b = this.blobs.get(m[2]!);
      if (!b) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-length': b.length, 'docker-content-digest': m[2]! });
      res.end(req.method === 'HEAD' ? undefined : b);
      return;
    }
    res.writeHead(404).end();
  }
}
