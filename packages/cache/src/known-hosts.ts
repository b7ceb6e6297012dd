import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How ssh names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    // Hashed entry (HashKnownHosts yes): |1|base64(salt)|base64(hmac-sha1(salt, name)).
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return field.split(',').some((p) => p === name);
}

/**
 * The host keys known_hosts lists for `host:port` (OpenSSH's format: plain or hashed names; @revoked lines
 * and other markers are skipped). Written here because ssh2 leaves host key checking to the caller.
 */
export function knownHostKeys(file: string, host: string, port: number): Buffer[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const name = hostPattern(host, port);
  const out: Buffer[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, , key] = line.split(/\s+/);
    if (hosts && key && matches(hosts, name)) out.push(Buffer.from(key, 'base64'));
  }
  return out;
}
