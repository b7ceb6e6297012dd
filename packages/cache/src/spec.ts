import { CacheSpecError } from './errors.js';

/** Where a remote cache lives, as `--cache-to` / `--cache-from` name it (buildx's `type=…,key=value` syntax). */
export type CacheLocation =
  | { type: 'registry'; ref: string; insecure: boolean }
  | { type: 'sftp'; url: string; key?: string; knownHosts?: string; hostKeyCheck: boolean }
  | { type: 'local'; dir: string };

/** One parsed `--cache-to` / `--cache-from` value. */
export interface CacheSpec {
  location: CacheLocation;
  /** `--cache-to` only: `min` exports the target's own steps, `max` every step of the build (buildx's modes). */
  mode: 'min' | 'max';
  /** The text the user gave, for messages. */
  text: string;
}

const KNOWN: Record<string, string[]> = {
  registry: ['ref', 'mode', 'insecure', 'registry.insecure'],
  sftp: ['url', 'mode', 'key', 'known_hosts', 'host_key_check'],
  local: ['dest', 'src', 'mode'],
};

function bool(v: string | undefined, what: string, prefix: string): boolean {
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new CacheSpecError(`${prefix}: ${what}=${v}: want true or false`);
}

/**
 * Parses `type=registry,ref=HOST/REPO[:prefix]`, `type=sftp,url=sftp://user@host:port/path[,key=FILE]
 * [,known_hosts=FILE]`, `type=local,dest=DIR` (or `src=DIR`), each with an optional `mode=min|max`.
 * A bare value without `type=` is a registry reference, as buildx reads it.
 */
export function parseCacheSpec(text: string, flag = '--cache-from'): CacheSpec {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 1 && !parts[0]!.includes('=')) parts.splice(0, 1, 'type=registry', `ref=${parts[0]}`);
  const kv = new Map<string, string>();
  for (const p of parts) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CacheSpecError(`${flag} ${text}: "${p}" is not key=value`);
    kv.set(p.slice(0, i).toLowerCase(), p.slice(i + 1));
  }
  const type = kv.get('type');
  if (type === undefined) throw new CacheSpecError(`${flag} ${text}: needs type=registry|sftp|local`);
  const known = KNOWN[type];
  if (!known) throw new CacheSpecError(`${flag} ${text}: unknown cache type "${type}" (want registry, sftp or local)`);
  for (const k of kv.keys()) if (k !== 'type' && !known.includes(k)) throw new CacheSpecError(`${flag} ${text}: unknown option "${k}" for type=${type}`);
  const mode = kv.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new CacheSpecError(`${flag} ${text}: mode=${mode}: want min or max`);
  const need = (k: string): string => {
    const v = kv.get(k);
    if (!v) throw new CacheSpecError(`${flag} ${text}: type=${type} needs ${k}=`);
    return v;
  };
  let location: CacheLocation;
  if (type === 'registry') {
    location = { type, ref: need('ref'), insecure: bool(kv.get('insecure') ?? kv.get('registry.insecure'), 'insecure', `${flag} ${text}`) };
  } else if (type === 'sftp') {
    const url = need('url');
    if (!/^sftp:\/\/[^/]+/.test(url)) throw new CacheSpecError(`${flag} ${text}: url=${url}: want sftp://user@host[:port]/path`);
    const check = kv.get('host_key_check');
    location = {
      type, url, hostKeyCheck: check === undefined ? true : bool(check, 'host_key_check', `${flag} ${text}`),
      ...(kv.get('key') ? { key: kv.get('key')! } : {}), ...(kv.get('known_hosts') ? { knownHosts: kv.get('known_hosts')! } : {}),
    };
  } else {
    const dir = kv.get('dest') ?? kv.get('src');
    if (!dir) throw new CacheSpecError(`${flag} ${text}: type=local needs dest= or src=`);
    location = { type: 'local', dir };
  }
  return { location, mode, text };
}
