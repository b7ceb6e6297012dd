import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryError } from './errors.js';
import { DEFAULT_REGISTRY } from './reference.js';

/** A username and password (or an identity token used as a refresh token with bearer auth). */
export interface Credentials {
  username: string;
  password: string;
  /** From config.json's `identitytoken`: sent as the refresh token when fetching a bearer token. */
  identityToken?: string;
}

/** Where Docker keeps its client config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json');
}

interface AuthEntry { auth?: string; username?: string; password?: string; identitytoken?: string }

/** The keys config.json may use for `registry`: bare host, an https URL, or Docker Hub's legacy URL. */
function keysFor(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === DEFAULT_REGISTRY) keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/**
 * Credentials for `registry` from a Docker config.json (`auths` entries with base64 `auth`, or username and
 * password). Credential helpers (`credsStore`) are not run: strata never executes programs for auth.
 */
export function credentialsFromDockerConfig(registry: string, file = dockerConfigPath()): Credentials | undefined {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  let cfg: { auths?: Record<string, AuthEntry> };
  try { cfg = JSON.parse(text) as typeof cfg; } catch {
    throw new RegistryError(`${file}: malformed JSON`);
  }
  const auths = cfg.auths ?? {};
  const norm = (k: string) => k.replace(/\/+$/, '');
  for (const key of keysFor(registry)) {
    const entry = Object.entries(auths).find(([k]) => norm(k) === norm(key))?.[1];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new RegistryError(`${file}: auths["${key}"].auth is not base64 of user:password`);
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), ...(entry.identitytoken ? { identityToken: entry.identitytoken } : {}) };
    }
    if (entry.username !== undefined || entry.identitytoken) {
      return { username: entry.username ?? '', password: entry.password ?? '', ...(entry.identitytoken ? { identityToken: entry.identitytoken } : {}) };
    }
  }
  return undefined;
}

/** Parses `--creds user:pass` (the password may hold colons; the user may not). */
export function parseCredsOption(value: string): Credentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new RegistryError('--creds: want USER:PASSWORD');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * Stores `registry`'s credentials in Docker's config.json as `auths[registry].auth` (base64 user:password),
 * keeping every other key; written temp → fsync → rename with mode 0600.
 */
export function saveDockerCredentials(registry: string, creds: Credentials, file = dockerConfigPath()): void {
  let cfg: { auths?: Record<string, AuthEntry> } & Record<string, unknown> = {};
  try { cfg = JSON.parse(readFileSync(file, 'utf8')) as typeof cfg; } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new RegistryError(`${file}: malformed JSON; not overwriting it`);
  }
  const key = registry === DEFAULT_REGISTRY ? 'https://index.docker.io/v1/' : registry;
  cfg.auths = { ...(cfg.auths ?? {}), [key]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, file);
}
