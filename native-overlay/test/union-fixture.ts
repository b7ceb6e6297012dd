// Test fixture for union mounts: fresh lower/upper/work dirs under a temp dir, mounting strata-unionfs (or the
// kernel overlay for comparison), and unmounting only what it mounted.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native, packageRoot, unionfsBinary } from '../lib/index.js';

/** The ASan/UBSan build of strata-unionfs (scripts/build-native-overlay.sh makes both). */
export const asanUnionfsBinary = path.join(packageRoot, 'build', 'asan', 'bin', 'strata-unionfs');

/** True when target is a mount point right now (per /proc/self/mountinfo). */
export function isMounted(target: string): boolean {
  const info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === target);
}

/** Polls cond every 20 ms until true or ms elapse; returns the last value. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** One union: dirs under root; lowers[0] is the top lower. */
export class Union {
  readonly root: string;
  readonly lowers: string[];
  readonly upper: string;
  readonly work: string;
  readonly mnt: string;
  private mounted = false;
  child: ChildProcess | undefined;
  stderr = '';
  /** Mount the ASan/UBSan build, in the foreground, collecting its stderr. */
  sanitized = false;

  constructor(nLowers = 2) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-union-'));
    this.lowers = Array.from({ length: nLowers }, (_, i) => path.join(this.root, `lower${i}`));
    this.upper = path.join(this.root, 'upper');
    this.work = path.join(this.root, 'work');
    this.mnt = path.join(this.root, 'mnt');
    for (const d of [...this.lowers, this.upper, this.work, this.mnt]) fs.mkdirSync(d);
  }

  /** Path inside the merged view. */
  m(...parts: string[]): string { return path.join(this.mnt, ...parts); }
  /** Path inside the upper dir. */
  u(...parts: string[]): string { return path.join(this.upper, ...parts); }
  /** Path inside lower i. */
  l(i: number, ...parts: string[]): string { return path.join(this.lowers[i]!, ...parts); }

  optionString(extra: string[] = []): string {
    return [`lowerdir=${this.lowers.join(':')}`, `upperdir=${this.upper}`, `workdir=${this.work}`, ...extra].join(',');
  }

  /** Mounts strata-unionfs: detached (it returns once the mount is ready), or sanitized in the foreground. */
  async mountUnionfs(extra: string[] = []): Promise<void> {
    if (this.sanitized) {
      await this.mountForeground(asanUnionfsBinary, extra);
      return;
    }
    execFileSync(unionfsBinary(), ['-o', this.optionString(extra), this.mnt], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.mounted = true;
  }

  /** Mounts strata-unionfs in the foreground as a child (for signals and sanitizer output). */
  async mountForeground(binary = unionfsBinary(), extra: string[] = []): Promise<ChildProcess> {
    const child = spawn(binary, ['-f', '-o', this.optionString(extra), this.mnt], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    child.on('error', (e) => { this.stderr += String(e); });
    this.child = child;
    this.mounted = true;
    if (!(await waitFor(() => isMounted(this.mnt) || child.exitCode !== null))) throw new Error('mount timed out');
    if (!isMounted(this.mnt)) throw new Error(`strata-unionfs exited: ${this.stderr}`);
    return child;
  }

  /** Mounts the kernel overlay on the same dirs (for format comparisons). */
  mountKernel(): void {
    native().mountOverlay(this.mnt, this.lowers, this.upper, this.work, []);
    this.mounted = true;
  }

  /** Unmounts if mounted (a clean umount makes strata-unionfs exit). */
  async unmount(): Promise<void> {
    if (!this.mounted) return;
    this.mounted = false;
    if (isMounted(this.mnt)) {
      try { native().unmount(this.mnt, 0); } catch { native().unmount(this.mnt, 2); }
    }
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    }
    if (child && child.exitCode !== 0) this.stderr += `\nexit status ${child.exitCode ?? child.signalCode}`;
  }

  async dispose(): Promise<void> {
    await this.unmount();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
