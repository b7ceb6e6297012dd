import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { ExecMount } from './spec.js';

/** Docker's /etc/hosts for a container, with the hostname on loopback so it resolves without a network. */
export function hostsFile(hostname: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    `127.0.1.1\t${hostname}`,
    '',
  ].join('\n');
}

/** A small host file, read with a sync call (once per step: cheaper than a thread-pool round trip). */
function readHost(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The host's resolv.conf as Docker hands it on. Under network `none` loopback nameservers are dropped
 * (they would point at the container's own empty loopback).
 */
export async function resolvConf(network: 'none' | 'host'): Promise<string> {
  const host = readHost('/etc/resolv.conf') ?? '';
  if (network === 'host') return host;
  return host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l)).join('\n');
}

/**
 * Writes hosts, resolv.conf and (unless `withHostname` is false) hostname into `dir` and returns their bind
 * mounts. Build steps leave /etc/hostname to the image, as BuildKit does, so a RUN may remove or replace it.
 * `extraHosts` (`host ip` each, from --add-host) are appended to hosts as `ip<TAB>host`.
 */
export async function etcMounts(dir: string, hostname: string, network: 'none' | 'host', withHostname = true, extraHosts: string[] = []): Promise<ExecMount[]> {
  let hosts = network === 'host' ? readHost('/etc/hosts') ?? hostsFile(hostname) : hostsFile(hostname);
  if (extraHosts.length > 0) {
    if (!hosts.endsWith('\n')) hosts += '\n';
    for (const e of extraHosts) {
      const [host, ip] = e.split(' ');
      hosts += `${ip}\t${host}\n`;
    }
  }
  const files: Array<[string, string]> = [
    ['hosts', hosts],
    ['resolv.conf', await resolvConf(network)],
  ];
  if (withHostname) files.push(['hostname', `${hostname}\n`]);
  const mounts: ExecMount[] = [];
  for (const [name, text] of files) {
    const source = path.join(dir, name);
    writeFileSync(source, text, { mode: 0o644 });
    mounts.push({ type: 'bind', source, target: `/etc/${name}` });
  }
  return mounts;
}

/**
 * `--add-host` as docker takes it, `host:ip` or `host=ip` (an IPv6 address keeps its colons, brackets
 * allowed), as the `host ip` entry etcMounts wants; undefined when malformed (docker's `host-gateway` is
 * not an address here either).
 */
export function parseAddHost(s: string): string | undefined {
  const i = s.includes('=') ? s.indexOf('=') : s.indexOf(':');
  if (i <= 0) return undefined;
  const host = s.slice(0, i);
  let ip = s.slice(i + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host) || isIP(ip) === 0) return undefined;
  return `${host} ${ip}`;
}
