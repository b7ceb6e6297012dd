import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { RegistryError } from './errors.js';
import { trustedCertificates } from './tls-roots.js';

/** Retry and timeout settings of every registry request. */
export interface TransportOptions {
  /** Attempts per request, the first included (default 4). */
  attempts?: number;
  /** First backoff delay; doubles each retry, with jitter (default 250 ms). */
  backoffMs?: number;
  /** Longest backoff and longest Retry-After honoured (default 5 s). */
  maxBackoffMs?: number;
  /** Socket idle time after which a request fails: a registry that stops answering (default 30 s). */
  idleTimeoutMs?: number;
  /** Accept any TLS certificate (with --insecure). */
  skipTlsVerify?: boolean;
}

/** One HTTP request. `body` is a factory so a retry can send it again. */
export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable | Promise<Readable>);
  /** Retry on 5xx/429/resets (default true); a caller whose body cannot be replayed says false. */
  retry?: boolean;
}

/** A response whose body is still unread: callers stream it, or call `text()`/`drain()`. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  body: http.IncomingMessage;
}

// Agents are made on first use (a process that never talks to a registry never loads http or tls); the TLS
// one also because its trusted CA list may come from a file read only then (tls-roots.ts).
let httpAgent: http.Agent | undefined;
let httpsAgent: https.Agent | undefined;
let insecureHttpsAgent: https.Agent | undefined;

/** The keep-alive agent of https requests (any certificate accepted with `insecure`). */
export function tlsAgent(insecure: boolean): https.Agent {
  if (insecure) return (insecureHttpsAgent ??= new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }));
  const ca = trustedCertificates();
  return (httpsAgent ??= new https.Agent({ keepAlive: true, maxSockets: 16, ...(ca ? { ca } : {}) }));
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Reads a whole (small) response body; more than `limit` bytes is an error. */
export async function readBody(res: HttpResponse, limit = 64 << 20): Promise<Buffer> {
  return readAll(res.body, limit, res.url);
}

/** Reads a whole (small) stream — a manifest, a config — refusing more than `limit` bytes. */
export async function readAll(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) { stream.destroy(); throw new RegistryError(`${what}: larger than ${limit} bytes`); }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Discards a response body so the connection can be reused. */
export function drain(res: HttpResponse): void {
  res.body.resume();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isTlsError(e: NodeJS.ErrnoException): boolean {
  const code = e.code ?? '';
  return code === 'EPROTO' || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

/** Sends one request, follows no redirects, fails on idle timeout; resolves once headers arrive. */
function sendOnce(req: HttpRequest, opts: TransportOptions): Promise<HttpResponse> {
  const url = new URL(req.url);
  const isHttps = url.protocol === 'https:';
  const mod = isHttps ? https : http;
  const agent = isHttps ? tlsAgent(opts.skipTlsVerify === true) : (httpAgent ??= new http.Agent({ keepAlive: true, maxSockets: 16 }));
  const idle = opts.idleTimeoutMs ?? 30000;
  return new Promise<HttpResponse>((resolve, reject) => {
    const r = mod.request(url, { method: req.method, headers: req.headers, agent }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url: req.url, body: res });
    });
    r.setTimeout(idle, () => {
      r.destroy(new RegistryError(`${req.method} ${url.host}${url.pathname}: no answer for ${Math.round(idle / 1000)} s`, undefined, true));
    });
    r.on('error', (e: NodeJS.ErrnoException) => {
      const where = `${req.method} ${url.host}${url.pathname}`;
      if (e instanceof RegistryError) reject(e);
      else if (isHttps && isTlsError(e)) {
        reject(new RegistryError(`${where}: TLS failed (${e.code ?? e.message}); for plain http or a self-signed certificate use --insecure`));
      } else reject(new RegistryError(`${where}: ${e.code ?? e.message}`, undefined, true));
    });
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      Promise.resolve().then(body).then((stream) => {
        stream.on('error', (e) => r.destroy(e));
        stream.pipe(r);
      }, (e: Error) => r.destroy(e instanceof RegistryError ? e : new RegistryError(`${req.method} ${url.host}${url.pathname}: ${e.message}`)));
    }
  });
}

/**
 * Sends a request with bounded retries (exponential backoff with jitter, Retry-After honoured) on connection
 * errors, timeouts, 408/429 and 5xx, and follows redirects. Authorization goes only to the origin it was
 * meant for: a redirect to another host (blob storage behind a CDN) is followed without it.
 */
export async function send(req: HttpRequest, opts: TransportOptions = {}): Promise<HttpResponse> {
  const attempts = req.retry === false ? 1 : Math.max(1, opts.attempts ?? 4);
  const base = opts.backoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  let lastErr: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let delay = Math.min(maxBackoff, base * 2 ** attempt) * (0.5 + Math.random() / 2);
    try {
      const res = await followRedirects(req, opts);
      if (!RETRY_STATUS.has(res.status) || attempt === attempts - 1) return res;
      const ra = Number(res.headers['retry-after']);
      if (Number.isFinite(ra) && ra >= 0) delay = Math.min(maxBackoff, ra * 1000);
      drain(res);
      lastErr = undefined;
    } catch (e) {
      if (!(e instanceof RegistryError) || !e.retryable || attempt === attempts - 1) throw e;
      lastErr = e;
    }
    await sleep(delay);
  }
  throw lastErr ?? new RegistryError(`${req.method} ${req.url}: failed`);
}

async function followRedirects(req: HttpRequest, opts: TransportOptions): Promise<HttpResponse> {
  let current = req;
  for (let hop = 0; hop < 10; hop++) {
    const res = await sendOnce(current, opts);
    if (![301, 302, 303, 307, 308].includes(res.status) || !res.headers.location) return res;
    drain(res);
    const next = new URL(res.headers.location, current.url);
    const headers = { ...(current.headers ?? {}) };
    if (next.origin !== new URL(current.url).origin) delete headers.authorization;
    const keepMethod = res.status === 307 || res.status === 308 || current.method === 'HEAD';
    current = keepMethod
      ? { ...current, url: next.href, headers }
      : { method: 'GET', url: next.href, headers, retry: current.retry };
  }
  throw new RegistryError(`${req.method} ${req.url}: too many redirects`);
}
