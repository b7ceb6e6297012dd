import { ExecutorError } from './errors.js';
import { nativeBinary } from './native-binary.js';
import type { ExecMount } from './spec.js';

/** The launcher binary: $STRATA_LAUNCHER if set (the tests point it at the ASan build), else the release build. */
export function launcherPath(variant: 'release' | 'asan' = 'release'): string {
  return nativeBinary('launcher', 'strata-launch', 'STRATA_LAUNCHER', variant);
}

/** Everything the launcher needs, already resolved to numbers and host paths. */
export interface LaunchSpec {
  rootfs: string;
  argv: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  hostname: string;
  network: 'none' | 'host';
  /** Overlay mounts carry the scratch dir the executor made for their upper and work dirs. */
  mounts: Array<ExecMount & { scratch?: string }>;
  cgroup?: string;
  memoryBytes?: number;
  pids?: number;
  cpuMilli?: number;
}

function rec(key: string, value: string | number): string {
  const v = String(value);
  if (v.includes('\0')) throw new ExecutorError(`${key} contains a NUL byte`);
  return `${key}=${v}\0`;
}

/** Overlay mount options cannot escape ',' or ':' in paths (the kernel splits on them). */
function overlayPath(p: string): string {
  if (/[,:]/.test(p)) throw new ExecutorError(`cannot mount ${p} writable: its path contains ',' or ':'`);
  return p;
}

/** Encodes the spec as NUL-terminated key=value records (the format native/spec.c parses). */
export function encodeSpec(s: LaunchSpec): Buffer {
  let out = rec('rootfs', s.rootfs) + rec('cwd', s.cwd) + rec('uid', s.uid) + rec('gid', s.gid);
  out += rec('hostname', s.hostname) + rec('net', s.network);
  for (const a of s.argv) out += rec('arg', a);
  for (const e of s.env) out += rec('env', e);
  for (const g of s.groups) out += rec('group', g);
  if (s.cgroup) out += rec('cgroup', s.cgroup);
  if (s.memoryBytes) out += rec('memory', Math.floor(s.memoryBytes));
  if (s.pids) out += rec('pids', Math.floor(s.pids));
  if (s.cpuMilli) out += rec('cpu', Math.max(1, Math.floor(s.cpuMilli)));
  for (const m of s.mounts) {
    out += rec('mount', m.type) + rec('dst', m.target);
    if (m.type === 'bind') out += rec('src', m.source) + rec('ro', m.readonly ? 1 : 0);
    else if (m.type === 'tmpfs') {
      const opts = [m.sizeBytes ? `size=${Math.floor(m.sizeBytes)}` : '', `mode=${(m.mode ?? 0o1777).toString(8)}`];
      out += rec('data', opts.filter(Boolean).join(','));
    } else {
      const lower = overlayPath(m.source);
      if (!m.scratch) throw new ExecutorError(`overlay mount on ${m.target} has no scratch dir`);
      const scratch = overlayPath(m.scratch);
      out += rec('data', `lowerdir=${lower},upperdir=${scratch}/upper,workdir=${scratch}/work`);
    }
  }
  return Buffer.from(out, 'utf8');
}

/** Parses the launcher's `key=value` result lines. */
export function parseResult(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !m.has(line.slice(0, eq))) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}
