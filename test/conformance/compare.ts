import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** The parts of an image config two builders must agree on (timestamps and ids aside). */
export interface ComparableImage {
  config: Record<string, unknown>;
  /** One line per history entry: "[empty] created_by". */
  history: string[];
  layers: number;
}

/** The config fields compared (Docker's names, which OCI configs share). */
export const CONFIG_FIELDS = [
  'Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts', 'Volumes', 'StopSignal',
  'Healthcheck', 'Shell', 'OnBuild',
] as const;

/** Reduces an image config JSON (docker save's or strata inspect's) to what is compared; null = absent. */
export function comparable(raw: { config?: Record<string, unknown> | null; history?: Array<Record<string, unknown>>; rootfs?: { diff_ids?: string[] } }): ComparableImage {
  const config: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) {
    const v = raw.config?.[f];
    if (v !== undefined && v !== null && v !== '') config[f] = sortKeys(v);
  }
  const history = (raw.history ?? []).map((h) => `${h.empty_layer === true ? '[empty] ' : ''}${String(h.created_by ?? '')}`);
  return { config, history, layers: raw.rootfs?.diff_ids?.length ?? 0 };
}

/**
 * Aligns history lines where docker 20.10's BuildKit (Debian's docker.io) and newer BuildKit, which strata
 * follows, word them differently, so only real differences remain:
 * - COPY/ADD: newer BuildKit records --chown=, --chmod= and --parents; older omits them (dropped on both sides);
 * - HEALTHCHECK: newer prints StartInterval as a fifth duration (dropped when five are printed);
 * - ARG K without a default: newer records the value it got (K=V), older the bare name (value dropped on the
 *   strata side where docker printed a bare name).
 */
export function alignHistory(docker: string[], strata: string[]): { docker: string[]; strata: string[] } {
  const common = (l: string) => l
    .replace(/^((?:\[empty\] )?(?:COPY|ADD))((?: --(?:chown|chmod)=\S+| --parents)+)/, '$1')
    .replace(/^(\[empty\] HEALTHCHECK &\{\[.*\] "[^"]*" "[^"]*" "[^"]*") "[^"]*"( '[^']*'\})$/, '$1$2');
  const d = docker.map(common);
  const s = strata.map(common);
  for (let i = 0; i < Math.min(d.length, s.length); i++) {
    const [dl, sl] = [d[i]!, s[i]!];
    if (!dl.startsWith('[empty] ARG ') || !sl.startsWith('[empty] ARG ')) continue;
    const bare = new Set(dl.slice(12).split(' ').filter((t) => !t.includes('=')));
    s[i] = '[empty] ARG ' + sl.slice(12).split(' ').map((t) => (bare.has(t.split('=')[0]!) ? t.split('=')[0]! : t)).join(' ');
  }
  return { docker: d, strata: s };
}

/**
 * Objects with their keys sorted: Go writes map keys (Labels, ExposedPorts, Volumes) sorted, strata in
 * instruction order; the maps are equal either way.
 */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v) || v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
}

/** Lines "path: docker=… strata=…" for every path whose description differs (at most `max`). */
export function treeDiff(docker: Record<string, string>, strata: Record<string, string>, max = 60): string[] {
  const out: string[] = [];
  for (const p of [...new Set([...Object.keys(docker), ...Object.keys(strata)])].sort()) {
    if (docker[p] !== strata[p]) out.push(`/${p}: docker=${docker[p] ?? '(absent)'} strata=${strata[p] ?? '(absent)'}`);
  }
  return out.length > max ? [...out.slice(0, max), `… and ${out.length - max} more`] : out;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout;
}

/** The image config JSON inside a docker-archive (docker save), read with tar. */
export function dockerArchiveConfig(archive: string): Record<string, unknown> {
  const manifest = JSON.parse(run('tar', ['-xOf', archive, 'manifest.json'])) as Array<{ Config: string }>;
  return JSON.parse(run('tar', ['-xOf', archive, manifest[0]!.Config])) as Record<string, unknown>;
}

/**
 * Unpacks a docker-archive's root filesystem with third-party tools (skopeo to an OCI layout, umoci to apply
 * the layers and their whiteouts), so the docker side is read by neither builder's code.
 */
export function unpackDockerArchive(archive: string, work: string): string {
  const layout = path.join(work, 'layout');
  const rootfs = path.join(work, 'rootfs');
  mkdirSync(work, { recursive: true });
  run('skopeo', ['copy', '-q', `docker-archive:${archive}`, `oci:${layout}:img`]);
  run('umoci', ['raw', 'unpack', '--image', `${layout}:img`, rootfs]);
  return rootfs;
}
