import { parseChallenges, type Challenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { RegistryAuthError, RegistryError } from './errors.js';
import { apiHost, isLoopbackHost } from './reference.js';
import { drain, readBody, send, type HttpRequest, type HttpResponse, type TransportOptions } from './transport.js';

/** How to reach one registry. */
export interface SessionOptions extends TransportOptions {
  /** Use plain http (and accept any TLS certificate): only with the user's --insecure. */
  insecure?: boolean;
  credentials?: Credentials;
  /** Agent string sent to the registry. */
  userAgent?: string;
}

interface CachedToken { token: string; expiresAt: number }

/** The scheme each --insecure registry host answered in this process (host → base URL). */
const schemes = new Map<string, Promise<string>>();
/** Hosts whose scheme probe, an anonymous GET /v2/, was answered 200: they ask for no credentials. */
const openHosts = new Set<string>();

/**
 * One registry host: its base URL, its auth scheme (learnt from the first 401's WWW-Authenticate), and a
 * bearer-token cache keyed by scope so that pulling many blobs asks the token server once.
 */
export class RegistrySession {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();
  private baseUrl: string | undefined;

  constructor(readonly registry: string, readonly options: SessionOptions = {}) {}

  /**
   * `https://host` by default; with --insecure, https when it answers TLS, else http. Asked once per host
   * and process: every session of the host (a build opens several) shares the answer.
   */
  async base(): Promise<string> {
    if (this.baseUrl) return this.baseUrl;
    const host = apiHost(this.registry);
    if (!this.options.insecure) return (this.baseUrl = `https://${host}`);
    let scheme = schemes.get(host);
    if (!scheme) {
      scheme = this.probeScheme(host);
      schemes.set(host, scheme);
    }
    return (this.baseUrl = await scheme);
  }

  /**
   * True when this process already saw the registry answer an anonymous GET /v2/ with 200 (the scheme probe
   * of an --insecure loopback host): a reachability check has nothing more to learn from asking again.
   */
  async answeredOpenly(): Promise<boolean> {
    await this.base();
    return openHosts.has(apiHost(this.registry));
  }

  private async probeScheme(host: string): Promise<string> {
    const quick = { ...this.options, idleTimeoutMs: Math.min(this.options.idleTimeoutMs ?? 5000, 5000) };
    // A loopback registry is nearly always plain http (`docker run registry`): asking that first spares a TLS
    // attempt (loading TLS and a failed handshake: 30 ms here). Only an answer a registry gives to /v2/ counts;
    // a TLS port's "plain HTTP sent to an HTTPS port" is a 400, so that goes on to the https probe.
    if (isLoopbackHost(this.registry)) {
      try {
        const res = await send({ method: 'GET', url: `http://${host}/v2/`, retry: false }, quick);
        drain(res);
        if (res.status === 200) openHosts.add(host);
        if ([200, 401, 403, 404].includes(res.status)) return `http://${host}`;
      } catch { /* not plain http: try TLS */ }
    }
    try {
      const res = await send({ method: 'GET', url: `https://${host}/v2/`, retry: false }, { ...quick, skipTlsVerify: true });
      drain(res);
      return `https://${host}`;
    } catch {
      return `http://${host}`;
    }
  }

  /**
   * Sends `req` (a path under the base URL, or a full URL the registry gave us) with auth for `scopes`.
   * On 401 it learns the challenge, authenticates and sends once more.
   */
  async request(req: HttpRequest, scopes: string[]): Promise<HttpResponse> {
    const url = /^https?:/.test(req.url) ? req.url : (await this.base()) + req.url;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'strata', ...(req.headers ?? {}) };
    const auth = await this.authorization(scopes, false);
    if (auth) headers.authorization = auth;
    const topts = { ...this.options, skipTlsVerify: this.options.insecure === true };
    const res = await send({ ...req, url, headers }, topts);
    if (res.status !== 401) return res;
    const www = res.headers['www-authenticate'];
    const ch = www ? parseChallenges(Array.isArray(www) ? www.join(', ') : www) : [];
    const chosen = ch.find((c) => c.scheme === 'bearer') ?? ch.find((c) => c.scheme === 'basic');
    // Without a challenge we cannot do better: the caller reports the 401 with the registry's error body.
    if (!chosen) return res;
    drain(res);
    const hadAuth = auth !== undefined && this.challenge?.scheme === chosen.scheme;
    this.challenge = chosen;
    if (chosen.scheme === 'basic' && !this.options.credentials) {
      throw new RegistryAuthError(`${this.registry}: authentication required (use --creds or strata login)`, 401);
    }
    // A bearer challenge may ask for a wider scope than we guessed (e.g. with an error="insufficient_scope").
    const scope = chosen.params.scope ? [...new Set([...scopes, ...chosen.params.scope.split(' ')])] : scopes;
    if (hadAuth && chosen.scheme === 'basic') throw new RegistryAuthError(`${this.registry}: credentials rejected (401)`, 401);
    const retryAuth = await this.authorization(scope, true);
    if (retryAuth) headers.authorization = retryAuth;
    const again = await send({ ...req, url, headers }, topts);
    if (again.status === 401) {
      drain(again);
      const w2 = again.headers['www-authenticate'];
      const err = w2 ? parseChallenges(Array.isArray(w2) ? w2.join(', ') : w2).find((c) => c.params.error)?.params : undefined;
      if (err?.error === 'insufficient_scope') {
        throw new RegistryAuthError(`${this.registry}: not authorized for ${err.scope ?? scope.join(' ')} (401 insufficient_scope)`, 401);
      }
      throw new RegistryAuthError(`${this.registry}: ${this.options.credentials ? 'credentials rejected' : 'authentication required (use --creds or strata login)'} (401)`, 401);
    }
    return again;
  }

  private async authorization(scopes: string[], fresh: boolean): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const c = this.options.credentials;
      return c ? 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64') : undefined;
    }
    if (ch.scheme !== 'bearer') return undefined;
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (!fresh && cached && cached.expiresAt > Date.now()) return 'Bearer ' + cached.token;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(ch, scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return 'Bearer ' + (await p);
  }

  private async fetchToken(ch: Challenge, scopes: string[]): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryAuthError(`${this.registry}: bearer challenge without realm`, 401);
    let realmUrl: URL;
    try { realmUrl = new URL(realm); } catch { throw new RegistryAuthError(`${this.registry}: bad token realm ${JSON.stringify(realm)}`, 401); }
    if (realmUrl.protocol === 'http:' && !this.options.insecure) {
      throw new RegistryAuthError(`${this.registry}: token realm ${realm} is plain http (use --insecure to allow)`, 401);
    }
    const c = this.options.credentials;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'strata' };
    let req: HttpRequest;
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'strata' });
      if (ch.params.service) form.set('service', ch.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      req = { method: 'POST', url: realmUrl.href, headers, body: Buffer.from(form.toString()) };
    } else {
      if (ch.params.service) realmUrl.searchParams.set('service', ch.params.service);
      for (const s of scopes) realmUrl.searchParams.append('scope', s);
      if (c) headers.authorization = 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
      req = { method: 'GET', url: realmUrl.href, headers };
    }
    const res = await send(req, { ...this.options, skipTlsVerify: this.options.insecure === true });
    const body = await readBody(res, 1 << 20);
    if (res.status === 401 || res.status === 403) throw new RegistryAuthError(`${this.registry}: token server refused ${c ? 'the credentials' : 'anonymous access'} (${res.status})`, res.status);
    if (res.status !== 200) throw new RegistryError(`${this.registry}: token server answered ${res.status}`, res.status);
    let json: { token?: string; access_token?: string; expires_in?: number };
    try { json = JSON.parse(body.toString('utf8')) as typeof json; } catch { throw new RegistryAuthError(`${this.registry}: token server sent malformed JSON`); }
    const token = json.token ?? json.access_token;
    if (!token) throw new RegistryAuthError(`${this.registry}: token server sent no token`);
    // Docker's default lifetime is 60 s; renew a little early.
    const life = (json.expires_in && json.expires_in > 0 ? json.expires_in : 60) * 1000;
    this.tokens.set([...scopes].sort().join(' '), { token, expiresAt: Date.now() + life * 0.9 });
    return token;
  }
}

/** The pull (or pull+push) scope of a repository, as token servers expect it. */
export function repoScope(repository: string, push = false): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}
