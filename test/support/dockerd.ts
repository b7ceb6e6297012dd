/**
 * A private Docker daemon for conformance tests and benchmarks: Debian's /usr/sbin/dockerd with its own
 * data-root, exec-root, pidfile and unix socket under one fresh directory, no iptables and no bridge, so it
 * never touches the host's docker (if any) nor its network. Builds must pass `--network=none`.
 *
 *   const d = await startDockerd();            // or startDockerd({ base: '/mnt/bench' })
 *   d.docker(['load', '-i', 'busybox.tar']);    // /usr/bin/docker with DOCKER_HOST=unix://<dir>/sock
 *   await d.stop();                             // SIGTERM by PID, unmounts what it left, removes the dir
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

/** The daemon and client binaries (Debian's docker.io); override with $STRATA_TEST_DOCKERD / $STRATA_TEST_DOCKER. */
export const DOCKERD_BIN = process.env.STRATA_TEST_DOCKERD ?? '/usr/sbin/dockerd';
export const DOCKER_BIN = process.env.STRATA_TEST_DOCKER ?? '/usr/bin/docker';

/** Options of startDockerd. */
export interface DockerdOptions {
  /** Directory under which the daemon's temp dir is made (default os.tmpdir()); put it on the bench fs. */
  base?: string;
  /** How long to wait for /_ping to answer (default 60 s). */
  startTimeoutMs?: number;
}

/** A running private dockerd. */
export interface Dockerd {
  /** The temp dir holding data/, exec/, pid, sock and log. */
  dir: string;
  /** "unix:///…/sock", for DOCKER_HOST. */
  host: string;
  pid: number;
  /** Environment for the docker client: DOCKER_HOST, DOCKER_BUILDKIT=1, no user config. */
  env: NodeJS.ProcessEnv;
  /** Runs /usr/bin/docker ARGS against this daemon; never throws. */
  docker(args: string[], opts?: { cwd?: string; input?: string | Buffer }): SpawnSyncReturns<string>;
  /** The same, without blocking the event loop. */
  dockerAsync(args: string[], opts?: { cwd?: string }): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** The daemon's log so far. */
  log(): string;
  /** SIGTERM by PID (SIGKILL after 20 s), unmounts mounts left under dir, removes dir. Idempotent. */
  stop(): Promise<void>;
}

/** Why a private dockerd cannot run here (a fact of the machine), or null when it can be tried. */
export function dockerdUnavailable(): string | null {
  if (!existsSync(DOCKERD_BIN)) return `${DOCKERD_BIN} absent (apt-get install docker.io)`;
  if (!existsSync(DOCKER_BIN)) return `${DOCKER_BIN} absent (apt-get install docker.io)`;
  if (process.getuid?.() !== 0) return 'not root (dockerd needs root)';
  return null;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: sock, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Mount points at or under dir, deepest first (only mounts the daemon made inside our own temp dir). */
function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && (mp === dir || mp.startsWith(dir + '/'))) out.push(mp.replace(/\\040/g, ' '));
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Waits for a PID to exit, up to ms; true when gone. */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (!alive(pid)) return true;
  return !alive(pid);
}

/** Starts a private dockerd and waits until it answers; throws with the log's tail when it does not. */
export async function startDockerd(opts: DockerdOptions = {}): Promise<Dockerd> {
  const base = opts.base ?? os.tmpdir();
  // Short names: the socket path must stay under 108 bytes.
  const dir = mkdtempSync(path.join(base, 'dkd-'));
  const sock = path.join(dir, 'sock');
  const logPath = path.join(dir, 'log');
  for (const d of ['data', 'exec']) mkdirSync(path.join(dir, d));
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(DOCKERD_BIN, [
    '--iptables=false', '--ip-masq=false', '--bridge=none', '--storage-driver', 'overlay2',
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'pid'), '-H', `unix://${sock}`,
  ], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited = false;
  child.on('exit', () => { exited = true; });
  const pid = child.pid ?? 0;
  const log = () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } };
  const env: NodeJS.ProcessEnv = {
    ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: '1', DOCKER_CONFIG: path.join(dir, 'client'),
  };
  let stopped = false;
  // A test runner that exits without calling stop() must not leave a daemon behind.
  const onExit = () => { if (!stopped && pid && alive(pid)) process.kill(pid, 'SIGTERM'); };
  process.once('exit', onExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, 20_000))) { process.kill(pid, 'SIGKILL'); await waitGone(pid, 5_000); }
    }
    // The daemon's own containerd normally exits with it; after a SIGKILL it may not.
    const cpid = Number(readIf(path.join(dir, 'exec', 'containerd', 'containerd.pid')));
    if (cpid > 1 && alive(cpid) && ownCmdline(cpid, dir)) {
      process.kill(cpid, 'SIGTERM');
      if (!(await waitGone(cpid, 10_000))) process.kill(cpid, 'SIGKILL');
    }
    for (const mp of mountsUnder(dir)) spawnSync('umount', ['-l', mp]);
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  const limit = opts.startTimeoutMs ?? 60_000;
  while (!(await ping(sock))) {
    if (exited || Date.now() - started > limit) {
      const tail = log().trim().split('\n').slice(-5).join(' | ');
      await stop();
      throw new Error(`dockerd did not start (${exited ? 'exited' : 'timed out'}): ${tail}`);
    }
    await sleep(100);
  }
  return {
    dir, host: `unix://${sock}`, pid, env, log, stop,
    docker: (args, o = {}) => spawnSync(DOCKER_BIN, args, {
      encoding: 'utf8', env, cwd: o.cwd, input: o.input, maxBuffer: 256 << 20,
    }),
    dockerAsync: (args, o = {}) => new Promise((resolve, reject) => {
      const p = spawn(DOCKER_BIN, args, { env, cwd: o.cwd });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    }),
  };
}

function readIf(p: string): string {
  try { return readFileSync(p, 'utf8').trim(); } catch { return ''; }
}

/** True when PID's command line names our dir (so we only ever signal the daemon's own containerd). */
function ownCmdline(pid: number, dir: string): boolean {
  return readIf(`/proc/${pid}/cmdline`).includes(dir);
}
