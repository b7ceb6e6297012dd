import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildEnv } from '../build/support.js';

/** What `--metadata-file` says about a build's remote cache use. */
export interface RemoteMeta {
  cached: number;
  ran: number;
  remote?: {
    imported: { probes: number; hits: number; blobsDownloaded: number; bytesDownloaded: number; bundlesRead: number };
    exported: Array<{
      to: string; entriesWritten: number; entriesPresent: number; blobsUploaded: number; blobsMounted: number; blobsPresent: number; blobsInline: number;
      bytesUploaded: number; uploaded: string[]; mounts?: { mounts: number; files: number; transferred: number };
    }>;
    mountsImported?: { mounts: number; files: number; transferred: number };
  };
}

/** The result of one build on a runner: exit status, the combined log, its warnings, and the metadata. */
export interface RunnerBuild {
  status: number | null;
  log: string;
  warnings: string[];
  meta?: RemoteMeta;
  /** Image id (config digest) of a successful build. */
  id?: string;
}

/**
 * One CI runner: its own state root holding only busybox (BuildEnv), building with the CLI. Two of these
 * share nothing but the remote cache.
 */
export class Runner extends BuildEnv {
  /** `strata build --progress plain ARGS CONTEXT` with a metadata file; never throws. */
  async buildWith(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunnerBuild> {
    const metaFile = path.join(this.work, `meta-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    const iid = `${metaFile}.iid`;
    const r = await this.run(['build', '--progress', 'plain', '--metadata-file', metaFile, '--iidfile', iid, ...args, dir], env);
    const log = r.stderr + r.stdout;
    let meta: RemoteMeta | undefined;
    try {
      meta = (JSON.parse(readFileSync(metaFile, 'utf8')) as { 'strata.cache': RemoteMeta })['strata.cache'];
    } catch {
      meta = undefined;
    }
    const warnings = log.split('\n').filter((l) => l.startsWith('WARNING: '));
    let id: string | undefined;
    try {
      id = readFileSync(iid, 'utf8').trim();
    } catch {
      id = undefined;
    }
    return { status: r.status, log, warnings, ...(meta ? { meta } : {}), ...(id ? { id } : {}) };
  }

  /** Like buildWith, but the build must succeed. */
  async mustBuild(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunnerBuild & { meta: RemoteMeta; id: string }> {
    const b = await this.buildWith(dir, args, env);
    if (b.status !== 0 || !b.meta) throw new Error(`build of ${dir} failed (${b.status}): ${b.log.trim().split('\n').slice(-5).join('\n')}`);
    return b as RunnerBuild & { meta: RemoteMeta; id: string };
  }

}

/** The multi-stage project every backend test builds: the builder stage writes 400 kB nobody downloads. */
export const PROJECT = {
  Dockerfile: [
    'FROM busybox AS builder',
    'RUN mkdir /out && head -c 400000 /dev/urandom > /out/big && echo built > /out/msg',
    'FROM busybox',
    'COPY --from=builder /out/msg /msg',
    'RUN echo hello > /hello',
    'COPY app /app',
    '',
  ].join('\n'),
  'app/main.txt': 'main v1\n',
};

/**
 * The digest each layer of an image travels under in a remote cache, top last: local layers are stored
 * uncompressed and exported gzipped (the runner remembers each pair under cache/wire/), tiny ones as they are.
 */
export function wireDigests(runner: Runner, image: string): string[] {
  const pairs = new Map<string, string>();
  const wireDir = path.join(runner.root, 'cache', 'wire');
  for (const f of existsSync(wireDir) ? readdirSync(wireDir) : []) {
    const w = JSON.parse(readFileSync(path.join(wireDir, f), 'utf8')) as { digest: string; diffId: string };
    pairs.set(w.diffId, w.digest);
  }
  const config = JSON.parse(runner.strata(['inspect', '--config', '--format', 'json', image]).stdout) as { RootFS?: { Layers?: string[] }; rootfs?: { diff_ids?: string[] } };
  const diffIds = config.RootFS?.Layers ?? config.rootfs?.diff_ids ?? [];
  return diffIds.map((d) => pairs.get(d) ?? d);
}

/** A fresh directory for a local cache or other scratch, removed by the returned function. */
export function scratch(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Entries (parsed) of a directory-layout cache. */
export function dirEntries(cacheDir: string): Array<{ key: string; slot: string; state: { layers: Array<{ digest: string; size: number }> } }> {
  const d = path.join(cacheDir, 'entries');
  return readdirSync(d).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(path.join(d, n), 'utf8')));
}
