import { spawn, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { constants as osc } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ExecutorError, StepAbortedError } from './errors.js';
import { etcMounts } from './etc-files.js';
import { resolveInRoot } from './in-root.js';
import { encodeSpec, launcherPath, parseResult, type LaunchSpec } from './launcher.js';
import type { OutputSink, RunResult, RunSpec } from './spec.js';
import { Zygote, zygotePath, type LauncherEnd } from './zygote.js';
import { resolveUser } from './user.js';

/** The PATH Docker sets when an image does not. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Options for an Executor. */
export interface ExecutorOptions {
  /** Launcher binary; default launcherPath() ($STRATA_LAUNCHER or the release build). */
  launcher?: string;
  /** Where per-step scratch dirs go (generated /etc files, overlay upper dirs). Default os.tmpdir(). */
  tmpDir?: string;
  /**
   * Start launchers through the shared zygote (see zygote.ts) instead of forking Node for each step; only
   * for steps whose stdin is ignored and whose output is consumed. Default false.
   */
  zygote?: boolean;
  /** The zygote binary; default zygotePath(). */
  zygoteBinary?: string;
  /** Name prefix of a step's scratch dir in tmpDir (a builder names its owner for stale-dir cleanup). Default `strata-run-`. */
  scratchPrefix?: string;
}

const signalName = (n: number): NodeJS.Signals | undefined =>
  (Object.entries(osc.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined);

function stdioFor(sink: OutputSink | undefined): 'inherit' | 'ignore' | 'pipe' {
  return sink === undefined || sink === 'inherit' ? 'inherit' : sink === 'ignore' ? 'ignore' : 'pipe';
}

function connect(stream: Readable | null, sink: OutputSink | undefined): Promise<void> {
  if (!stream) return Promise.resolve();
  if (typeof sink === 'function') {
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', sink);
    return new Promise((resolve) => rl.on('close', resolve));
  }
  if (sink && typeof sink === 'object') stream.pipe(sink as Writable, { end: false });
  return new Promise((resolve) => stream.on('close', resolve));
}

async function checkSpec(spec: RunSpec): Promise<void> {
  if (spec.argv.length === 0 || !spec.argv[0]) throw new ExecutorError('no command to run');
  // Sync stats: a few per step on local paths, cheaper than thread-pool round trips.
  const st = statSync(spec.rootfs, { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new ExecutorError(`rootfs ${spec.rootfs} is not a directory`);
  const cmd = spec.argv[0];
  if (cmd.startsWith('/')) {
    const host = await resolveInRoot(spec.rootfs, cmd);
    if (!statSync(host, { throwIfNoEntry: false })) throw new ExecutorError(`cannot run ${cmd}: no such file in rootfs ${spec.rootfs}`);
  }
  for (const m of spec.mounts ?? []) {
    if (!m.target.startsWith('/')) throw new ExecutorError(`mount target ${m.target} is not absolute`);
    if (m.type === 'tmpfs') continue;
    const s = statSync(m.source, { throwIfNoEntry: false });
    if (!s) throw new ExecutorError(`mount source ${m.source} does not exist (target ${m.target})`);
    if (m.type === 'overlay' && !s.isDirectory()) throw new ExecutorError(`mount source ${m.source} is not a directory (target ${m.target})`);
  }
  if (spec.cwd && !spec.cwd.startsWith('/')) throw new ExecutorError(`working directory ${spec.cwd} is not absolute`);
}

/** Runs one command in an isolated container through the native launcher (DESIGN §7). */
export class Executor {
  constructor(private readonly opts: ExecutorOptions = {}) {}

  /**
   * Runs `spec` to completion. Resolves with how it ended; rejects with ExecutorError for a step that
   * could not start and StepAbortedError when `signal` aborts it. Either way no process of it is left.
   */
  async run(spec: RunSpec, signal?: AbortSignal): Promise<RunResult> {
    if (signal?.aborted) throw new StepAbortedError('step aborted before it started');
    await checkSpec(spec);
    const user = await resolveUser(spec.rootfs, spec.user);
    const env = [...(spec.env ?? [])];
    const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
    if (!has('PATH')) env.push(`PATH=${DEFAULT_PATH}`);
    if (!has('HOME')) env.push(`HOME=${user.home}`);
    const network = spec.network ?? 'none';
    // Docker: a random name of its own, except that network host also shows the host's name.
    const hostname = spec.hostname ?? (network === 'host' ? os.hostname() : randomBytes(6).toString('hex'));
    let writable = false;
    const scratch = mkdtempSync(path.join(this.opts.tmpDir ?? os.tmpdir(), this.opts.scratchPrefix ?? 'strata-run-'));
    try {
      const mounts: LaunchSpec['mounts'] = await etcMounts(scratch, hostname, network, spec.etcHostname !== false, spec.extraHosts);
      let n = 0;
      for (const m of spec.mounts ?? []) {
        if (m.type !== 'overlay') { mounts.push(m); continue; }
        writable = true;
        const dir = path.join(scratch, `ov${n++}`);
        mkdirSync(path.join(dir, 'upper'), { recursive: true });
        mkdirSync(path.join(dir, 'work'));
        mounts.push({ ...m, scratch: dir });
      }
      const root = process.getuid?.() === 0;
      const limits = spec.limits ?? {};
      const launch: LaunchSpec = {
        rootfs: path.resolve(spec.rootfs), argv: spec.argv, env, cwd: spec.cwd ?? '/',
        uid: user.uid, gid: user.gid, groups: user.groups, hostname, network, mounts,
        cgroup: root ? `strata-${process.pid}-${randomBytes(4).toString('hex')}` : undefined,
        memoryBytes: limits.memoryBytes, pids: limits.pids, cpuMilli: limits.cpus ? limits.cpus * 1000 : undefined,
      };
      return await this.launch(launch, spec, signal);
    } finally {
      // Writable mounts' upper dirs may hold anything the step wrote: delete those off the event loop.
      if (writable) await rm(scratch, { recursive: true, force: true });
      else rmSync(scratch, { recursive: true, force: true });
    }
  }

  private launch(launch: LaunchSpec, spec: RunSpec, signal?: AbortSignal): Promise<RunResult> {
    const body = encodeSpec(launch);
    const framed = Buffer.concat([Buffer.from(`${body.length}\n`), body]);
    const p = this.opts.zygote && zygoteFits(spec) ? this.viaZygote(framed, spec) : this.viaSpawn(framed, spec);
    let timedOut = false;
    let aborted = false;
    const onAbort = () => { aborted = true; p.kill(); };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = spec.timeoutMs ? setTimeout(() => { timedOut = true; p.kill(); }, spec.timeoutMs) : undefined;
    let text = '';
    p.result.setEncoding('utf8');
    p.result.on('data', (d: string) => { text += d; });
    const streams = Promise.all([connect(p.stdout, spec.stdout), connect(p.stderr, spec.stderr), new Promise((r) => p.result.on('close', r))]);
    return p.ended.then(async ({ code, signal: sig }) => {
      await streams;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      p.done();
      const r = parseResult(text);
      if (r.get('leftover') === '-1') throw new ExecutorError(`processes of the step in ${launch.rootfs} survived it`);
      if (aborted) throw new StepAbortedError('step aborted; all of its processes are gone');
      const err = r.get('error');
      if (err) throw new ExecutorError(err);
      if (!r.has('exit') && !r.has('signal')) throw new ExecutorError(`the launcher ended without a result (exit ${code ?? sig})`);
      const sigNum = r.has('signal') ? Number(r.get('signal')) : undefined;
      return {
        exitCode: sigNum !== undefined ? 128 + sigNum : Number(r.get('exit')),
        signal: sigNum !== undefined ? signalName(sigNum) : undefined,
        usage: { cpuNs: Number(r.get('cpu_ns') ?? 0), memoryPeakBytes: Number(r.get('mem_peak') ?? 0), wallNs: Number(r.get('wall_ns') ?? 0) },
        oomKilled: Number(r.get('oom_kills') ?? 0) > 0,
        pidsLimitHit: Number(r.get('pids_limited') ?? 0) > 0,
        timedOut,
      };
    }, (e: unknown) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      throw e;
    });
  }

  /** The launcher as Node's own child: stdio as the spec asks, signals sent to Node reach it. */
  private viaSpawn(framed: Buffer, spec: RunSpec): LauncherProc {
    const stdinMode = spec.stdin === undefined || spec.stdin === 'inherit' ? 'inherit' : spec.stdin === 'ignore' ? 'ignore' : 'pipe';
    const stdio: StdioOptions = [stdinMode, stdioFor(spec.stdout), stdioFor(spec.stderr), 'pipe', 'pipe'];
    const child = spawn(this.opts.launcher ?? launcherPath(), ['--spec-fd', '3', '--result-fd', '4'], { stdio });
    const control = child.stdio[3] as Writable;
    control.on('error', () => {});
    control.write(framed);
    if (child.stdin && typeof spec.stdin !== 'string' && !Buffer.isBuffer(spec.stdin)) child.stdin.end();
    else if (child.stdin) { child.stdin.on('error', () => {}); child.stdin.end(spec.stdin); }
    const ended = new Promise<LauncherEnd>((resolve, reject) => {
      child.on('error', (e) => reject(new ExecutorError(`cannot start the launcher: ${e.message}`)));
      child.on('close', (code, sig) => resolve({ code, signal: sig ? osc.signals[sig] : null }));
    });
    return {
      stdout: child.stdout, stderr: child.stderr, result: child.stdio[4] as Readable, ended,
      kill: () => { control.write('k'); },
      done: () => { control.destroy(); },
    };
  }

  /** The launcher forked by the shared zygote (no fork of Node on the event loop); output comes back framed. */
  private viaZygote(framed: Buffer, spec: RunSpec): LauncherProc {
    const run = Zygote.for(this.opts.zygoteBinary ?? zygotePath(), this.opts.launcher ?? launcherPath()).start(framed);
    // Nobody reads an ignored stream: drain it so that its end (and the run's) is seen.
    if (spec.stdout === 'ignore') run.stdout.resume();
    if (spec.stderr === 'ignore') run.stderr.resume();
    return { ...run, done: () => {} };
  }
}

/** What launch needs of a started launcher, however it was started. */
interface LauncherProc {
  stdout: Readable | null;
  stderr: Readable | null;
  result: Readable;
  ended: Promise<LauncherEnd>;
  kill(): void;
  /** Releases what the start held once everything was read. */
  done(): void;
}

/** The zygote serves steps whose stdin is ignored and whose output Node consumes (no inherited stdio). */
function zygoteFits(spec: RunSpec): boolean {
  const consumed = (s: OutputSink | undefined) => s !== undefined && s !== 'inherit';
  return spec.stdin === 'ignore' && consumed(spec.stdout) && consumed(spec.stderr);
}
