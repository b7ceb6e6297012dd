import { RepositoryClient } from './client.js';
import { credentialsFromDockerConfig, type Credentials } from './credentials.js';
import { RegistryAuthError, RegistryError } from './errors.js';
import { parseReference, type Reference } from './reference.js';
import { RegistrySession, type SessionOptions } from './session.js';

/** How to reach a registry: the user's --insecure, --creds, and retry/timeout tuning. */
export interface ConnectOptions extends SessionOptions {
  /** Docker config.json to read credentials from when `credentials` is absent (default ~/.docker/config.json). */
  dockerConfig?: string;
  /** Sessions to reuse (one per registry host), so tokens and the http/https choice are learnt once. */
  sessions?: Map<string, RegistrySession>;
}

/** The session for a registry host: credentials from options, else from Docker's config.json. */
export function sessionFor(registry: string, opts: ConnectOptions = {}): RegistrySession {
  const cached = opts.sessions?.get(registry);
  if (cached) return cached;
  let credentials: Credentials | undefined = opts.credentials;
  if (!credentials) credentials = credentialsFromDockerConfig(registry, opts.dockerConfig);
  const s = new RegistrySession(registry, { ...opts, ...(credentials ? { credentials } : {}) });
  opts.sessions?.set(registry, s);
  return s;
}

/** A client for the repository a reference names (a string is parsed docker-style). */
export function connect(ref: string | Reference, opts: ConnectOptions = {}, push = false): RepositoryClient {
  const r = typeof ref === 'string' ? parseReference(ref) : ref;
  return new RepositoryClient(sessionFor(r.registry, opts), r, push);
}

/** Checks that `registry` accepts the credentials (GET /v2/ with auth); throws a one-line error if not. */
export async function checkLogin(registry: string, opts: ConnectOptions): Promise<void> {
  const s = new RegistrySession(registry, opts);
  const res = await s.request({ method: 'GET', url: '/v2/' }, []).catch((e: Error) => {
    throw e instanceof RegistryError ? e : new RegistryError(`${registry}: ${e.message}`);
  });
  res.body.resume();
  if (res.status === 401 || res.status === 403) throw new RegistryAuthError(`${registry}: login refused (${res.status})`, res.status);
  if (res.status !== 200) throw new RegistryError(`${registry}: GET /v2/ answered ${res.status}`, res.status);
}
