import { chmod, chown, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { holdCacheDir, type CacheSharing } from './cache-dir.js';
import { ExecutorError } from './errors.js';
import { resolveInRoot } from './in-root.js';
import type { ExecMount } from './spec.js';

/** One `RUN --mount=...` as parsed (BuildKit's option names). */
export interface RunMountOptions {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target?: string;
  source?: string;
  from?: string;
  readwrite?: boolean;
  id?: string;
  sharing?: CacheSharing;
  uid?: number;
  gid?: number;
  mode?: number;
  size?: number;
  env?: string;
  required?: boolean;
}

/** A secret the build was given (`--secret id=x,src=...` or `env=...`). */
export interface SecretSource {
  path?: string;
  data?: string | Buffer;
}

/** What turning RUN mounts into executor mounts needs from the builder. */
export interface RunMountContext {
  stateRoot: string;
  /** The directory a bind/cache `from` names (a stage or image rootfs); `undefined` is the build context. */
  resolveFrom(from: string | undefined): string | Promise<string>;
  secrets?: Record<string, SecretSource>;
  /** Agent socket per ssh id; `default` falls back to $SSH_AUTH_SOCK. */
  ssh?: Record<string, string>;
  tmpDir?: string;
  signal?: AbortSignal;
}

/** Executor mounts and env for one step; `release` unlocks caches and deletes secret copies. */
export interface PreparedRunMounts {
  mounts: ExecMount[];
  env: string[];
  release(): Promise<void>;
}

const number = (k: string, v: string, base = 10): number => {
  const n = Number.parseInt(v, base);
  if (!/^[0-9a-fA-F]+$/.test(v) || Number.isNaN(n)) throw new ExecutorError(`--mount ${k}=${v} is not a number`);
  return n;
};

/** Parses `type=cache,target=/root/.cache,sharing=locked` (the text of one --mount flag). */
export function parseRunMount(text: string): RunMountOptions {
  const o: Partial<RunMountOptions> & Record<string, unknown> = { type: 'bind' };
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    const k = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? undefined : part.slice(eq + 1);
    const need = (): string => { if (v === undefined) throw new ExecutorError(`--mount ${k} needs a value`); return v; };
    switch (k) {
      case 'type': {
        const t = need();
        if (!['bind', 'cache', 'tmpfs', 'secret', 'ssh'].includes(t)) throw new ExecutorError(`unknown --mount type "${t}"`);
        o.type = t as RunMountOptions['type'];
        break;
      }
      case 'target': case 'dst': case 'destination': o.target = need(); break;
      case 'source': case 'src': o.source = need(); break;
      case 'from': o.from = need(); break;
      case 'id': o.id = need(); break;
      case 'env': o.env = need(); break;
      case 'rw': case 'readwrite': o.readwrite = v === undefined || v === 'true'; break;
      case 'ro': case 'readonly': o.readwrite = !(v === undefined || v === 'true'); break;
      case 'required': o.required = v === undefined || v === 'true'; break;
      case 'sharing': {
        const s = need();
        if (!['shared', 'private', 'locked'].includes(s)) throw new ExecutorError(`unknown --mount sharing "${s}"`);
        o.sharing = s as CacheSharing;
        break;
      }
      case 'uid': o.uid = number(k, need()); break;
      case 'gid': o.gid = number(k, need()); break;
      case 'mode': o.mode = number(k, need(), 8); break;
      case 'size': o.size = parseSize(need()); break;
      default: throw new ExecutorError(`unknown --mount option "${k}"`);
    }
  }
  return o as RunMountOptions;
}

function parseSize(v: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(v);
  if (!m) throw new ExecutorError(`--mount size=${v} is not a size`);
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

/**
 * Turns parsed RUN mounts into executor mounts. Binds are read-only, or with `rw` a scratch overlay (or a
 * scratch copy of a file) so writes never reach the source; secrets are copied to a temp file that is
 * bind-mounted read-only and removed by `release`.
 */
export async function prepareRunMounts(list: RunMountOptions[], ctx: RunMountContext): Promise<PreparedRunMounts> {
  const mounts: ExecMount[] = [];
  const env: string[] = [];
  const releases: Array<() => Promise<void>> = [];
  let tmp: string | undefined;
  const tmpDir = async () => (tmp ??= await mkdtemp(path.join(ctx.tmpDir ?? os.tmpdir(), 'strata-mounts-')));
  const release = async () => {
    for (const r of releases.reverse()) await r();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
  try {
    let sshIndex = 0;
    for (const m of list) {
      if (m.type !== 'secret' && m.type !== 'ssh' && !m.target) throw new ExecutorError(`--mount type=${m.type} needs a target`);
      const target = m.target!;
      if (m.type === 'bind') {
        const root = await ctx.resolveFrom(m.from);
        const source = await resolveInRoot(root, m.source ?? '/');
        const st = await stat(source).catch(() => null);
        if (!st) throw new ExecutorError(`--mount source ${m.source ?? '/'} does not exist${m.from === undefined ? '' : ' in its from= source'}`);
        if (!m.readwrite) mounts.push({ type: 'bind', source, target, readonly: true });
        else if (st.isDirectory()) mounts.push({ type: 'overlay', source, target });
        else {
          const copy = path.join(await tmpDir(), `bind${mounts.length}`);
          await copyFile(source, copy);
          mounts.push({ type: 'bind', source: copy, target });
        }
      } else if (m.type === 'cache') {
        let seed: string | undefined;
        if (m.from !== undefined) {
          const root = await ctx.resolveFrom(m.from);
          seed = await resolveInRoot(root, m.source ?? '/');
          if (!(await stat(seed).catch(() => null))?.isDirectory()) throw new ExecutorError(`--mount type=cache source ${m.source ?? '/'} is not a directory${m.from === undefined ? '' : ' in its from= source'}`);
        }
        const owner = { uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o755 };
        const held = await holdCacheDir(ctx.stateRoot, m.id ?? target, m.sharing ?? 'shared', owner, ctx.signal, seed);
        releases.push(held.release);
        mounts.push({ type: 'bind', source: held.dir, target, readonly: m.readwrite === false });
      } else if (m.type === 'tmpfs') {
        mounts.push({ type: 'tmpfs', target, sizeBytes: m.size });
      } else if (m.type === 'secret') {
        const id = m.id ?? (m.target ? path.basename(m.target) : undefined);
        if (!id) throw new ExecutorError('--mount type=secret needs an id or a target');
        const secret = ctx.secrets?.[id];
        if (!secret) {
          if (m.required) throw new ExecutorError(`secret "${id}" is required but was not given`);
          continue;
        }
        const data = secret.data ?? (secret.path ? await readFile(secret.path) : undefined);
        if (data === undefined) throw new ExecutorError(`secret "${id}" has neither data nor a path`);
        if (m.env) env.push(`${m.env}=${data.toString()}`);
        if (!m.env || m.target) {
          const file = path.join(await tmpDir(), `secret${mounts.length}`);
          await writeFile(file, data, { mode: 0o600 });
          await chown(file, m.uid ?? 0, m.gid ?? 0);
          await chmod(file, m.mode ?? 0o400);
          mounts.push({ type: 'bind', source: file, target: m.target ?? `/run/secrets/${id}`, readonly: true });
        }
      } else {
        const id = m.id ?? 'default';
        const sock = ctx.ssh?.[id] ?? (id === 'default' ? process.env.SSH_AUTH_SOCK : undefined);
        if (!sock || !(await stat(sock).catch(() => null))?.isSocket()) {
          if (m.required) throw new ExecutorError(`ssh agent "${id}" is required but no socket was given`);
          continue;
        }
        const t = m.target ?? `/run/buildkit/ssh_agent.${sshIndex++}`;
        mounts.push({ type: 'bind', source: sock, target: t, readonly: true });
        env.push(`SSH_AUTH_SOCK=${t}`);
      }
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { mounts, env, release };
}
