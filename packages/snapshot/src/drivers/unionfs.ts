import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { sys } from '../sys.js';
import { SnapshotError } from '../errors.js';
import { mountAt, mountCountAt } from '../mountinfo.js';
import { once, type UnionDriver, type UpperSpec } from './union-driver.js';
import type { Release } from '../types.js';

const MOUNT_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;

/**
 * The FUSE driver: runs strata-unionfs (or anything with fuse-overlayfs's command line) in the foreground,
 * so this process owns its pid; the mount is ready when it appears in mountinfo. Release unmounts and waits
 * for the daemon to exit, so no dead mount or stray daemon outlives a build step.
 */
export class UnionfsDriver implements UnionDriver {
  readonly name = 'unionfs' as const;

  constructor(readonly binary: string) {}

  /** `logFile` takes the daemon's stderr: a file, not a pipe, so the daemon outlives this process cleanly. */
  async mountUnion(target: string, lowers: string[], upper?: UpperSpec, logFile?: string): Promise<Release> {
    const before = await mountCountAt(target);
    const opts = [`lowerdir=${lowers.join(':')}`];
    if (upper) opts.push(`upperdir=${upper.upper}`, `workdir=${upper.work}`);
    // A pipe would break when this process dies and could take the daemon down with SIGPIPE: log to a file.
    const log = logFile ?? '/dev/null';
    const fd = fs.openSync(log, 'w');
    let child: ChildProcess;
    try {
      child = spawn(this.binary, ['-f', '-o', opts.join(','), target], { stdio: ['ignore', 'ignore', fd] });
    } finally {
      fs.closeSync(fd);
    }
    let spawnError = '';
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.on('error', (e) => { spawnError = e.message; resolve(-1); });
    });
    const stderr = () => spawnError || (logFile ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '');
    let dead = false;
    void exited.then(() => { dead = true; });
    const start = Date.now();
    for (;;) {
      const m = await mountAt(target);
      if (m && m.fsType.startsWith('fuse') && (await mountCountAt(target)) > before) break;
      if (dead) throw new SnapshotError(`${this.binary} exited before mounting ${target}: ${lastLine(stderr())}`);
      if (Date.now() - start > MOUNT_TIMEOUT_MS) {
        child.kill('SIGTERM');
        throw new SnapshotError(`${this.binary} did not mount ${target} within ${MOUNT_TIMEOUT_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return once(() => unmountFuse(target, child, exited));
  }
}

async function unmountFuse(target: string, child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  try {
    sys().unmount(target, 0);
  } catch {
    // Unprivileged FUSE mounts are only undone by the setuid helper.
    await promisify(execFile)('fusermount3', ['-u', target]).catch((e: Error) => {
      throw new SnapshotError(`unmount of ${target} failed: ${e.message.split('\n')[0]}`);
    });
  }
  const timer = setTimeout(() => child.kill('SIGTERM'), EXIT_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** The daemon's last words: the line that says why it stopped. */
function lastLine(s: string): string {
  return s.trim().split('\n').pop() || 'no message';
}
