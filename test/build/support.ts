import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusybox } from '../oci/busybox.js';

/** The repository root (test/dist/build → three levels up). */
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// The shipped CLI: the `strata` launcher in front of the bundles, made fresh here when only `tsc -b` ran
// since the last bundling.
const bin = path.join(repo, 'packages', 'cli', 'bin', 'strata');
let bundled = false;
function freshBundle(): string {
  if (!bundled) {
    const r = spawnSync(process.execPath, [path.join(repo, 'packages', 'cli', 'bundle.mjs'), '--if-stale'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bundling the CLI failed: ${r.stderr}`);
    bundled = true;
  }
  return bin;
}

/** A state root with busybox:latest that every build test of a file shares (made once, removed after). */
export class BuildEnv {
  readonly root: string;
  readonly work: string;
  constructor() {
    this.work = mkdtempSync(path.join(os.tmpdir(), 'strata-build-'));
    this.root = path.join(this.work, 'root');
    makeBusybox(this.root);
  }

  /** Runs `strata ARGS` against this root, `input` on its standard input; never throws. */
  strata(args: string[], env: NodeJS.ProcessEnv = {}, cwd = this.work, input?: string | Buffer): SpawnSyncReturns<string> {
    return spawnSync(freshBundle(), args, {
      encoding: 'utf8', cwd, env: { ...process.env, STRATA_ROOT: this.root, ...env }, maxBuffer: 64 << 20, ...(input !== undefined ? { input } : {}),
    });
  }

  /** Runs `strata ARGS` with its standard output as bytes (an archive written to `-`); never throws. */
  strataBytes(args: string[]): SpawnSyncReturns<Buffer> {
    return spawnSync(freshBundle(), args, { cwd: this.work, env: { ...process.env, STRATA_ROOT: this.root }, maxBuffer: 256 << 20 });
  }

  /** Starts `strata ARGS` in the background (for kill tests). */
  spawn(args: string[]) {
    return spawn(freshBundle(), args, { cwd: this.work, env: { ...process.env, STRATA_ROOT: this.root }, stdio: 'ignore' });
  }

  /** Writes a context directory from a map of relative path → content. */
  context(name: string, files: Record<string, string | Buffer>): string {
    const dir = path.join(this.work, name);
    for (const [rel, data] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), data);
    }
    return dir;
  }

  /** Runs `strata ARGS` without blocking this process (tests that serve HTTP from it need that). */
  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const p = spawn(freshBundle(), args, { cwd: this.work, env: { ...process.env, STRATA_ROOT: this.root, ...env } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  /** `strata build --progress plain` that must succeed; returns the combined output. */
  build(dir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): string {
    const r = this.strata(['build', '--progress', 'plain', ...extra, dir], env);
    if (r.status !== 0) throw new Error(`build of ${dir} failed (${r.status}): ${r.stderr}`);
    return r.stderr + r.stdout;
  }

  /** The image config JSON. */
  config(image: string): { config: Record<string, unknown>; history: Array<Record<string, unknown>>; rootfs: { diff_ids: string[] } } {
    const r = this.strata(['inspect', '--config', '--format', 'json', image]);
    if (r.status !== 0) throw new Error(`inspect ${image}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** The image's root filesystem as a directory (`--output type=local` of a cached rebuild is not needed: export). */
  rootfs(image: string): string {
    const dir = mkdtempSync(path.join(this.work, 'rootfs-'));
    const tar = path.join(this.work, `export-${path.basename(dir)}.tar`);
    const r = this.strata(['export', image, '-o', tar]);
    if (r.status !== 0) throw new Error(`export ${image}: ${r.stderr}`);
    const x = spawnSync('tar', ['-xpf', tar, '-C', dir, '--numeric-owner']);
    if (x.status !== 0) throw new Error(`tar -x: ${x.stderr}`);
    return dir;
  }

  cleanup(): void {
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** The lines of a plain progress log that report a cache miss. */
export const misses = (log: string): string[] => log.split('\n').filter((l) => / cache miss: /.test(l)).map((l) => l.replace(/^#\d+ cache miss: /, ''));
/** The number of steps a plain progress log reports as CACHED. */
export const cachedCount = (log: string): number => log.split('\n').filter((l) => /^#\d+ CACHED$/.test(l)).length;
