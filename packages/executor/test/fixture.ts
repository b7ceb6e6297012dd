import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Executor, type RunResult, type RunSpec } from '../src/index.js';

/** A busybox rootfs in a fresh temp dir: Debian's static busybox, applet links, passwd and group. */
export function makeBusyboxRootfs(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-exec-rootfs-'));
  execFileSync('chmod', ['755', root]);
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/tester']) mkdirSync(path.join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  execFileSync('chmod', ['755', path.join(root, 'bin/busybox')]);
  for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n')) {
    if (applet && applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
  }
  writeFileSync(path.join(root, 'etc/passwd'), [
    'root:x:0:0:root:/root:/bin/sh',
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
    'tester:x:1000:1000:tester:/home/tester:/bin/sh',
    '',
  ].join('\n'));
  writeFileSync(path.join(root, 'etc/group'), ['root:x:0:', 'nogroup:x:65534:', 'tester:x:1000:', 'extra:x:2000:tester', 'more:x:2001:nobody,tester', ''].join('\n'));
  execFileSync('chmod', ['1777', path.join(root, 'tmp')]);
  execFileSync('chmod', ['700', path.join(root, 'root')]);
  execFileSync('chown', ['1000:1000', path.join(root, 'home/tester')]);
  return root;
}

/** Every file path in a tree (relative), for before/after comparisons. */
export function listTree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...listTree(root, p));
  }
  return out.sort();
}

/** PIDs of host processes whose root directory is inside `rootfs` (a /proc scan). */
export function processesIn(rootfs: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const root = readlinkSync(`/proc/${name}/root`);
      if (root === rootfs || root.startsWith(rootfs + '/')) found.push(Number(name));
    } catch { /* gone or not ours to read */ }
  }
  return found;
}

/** Mount points below `dir` in this mount namespace. */
export function mountsUnder(dir: string): string[] {
  return execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).split('\n')
    .map((l) => l.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(dir + '/'));
}

/** Runs and collects stdout/stderr lines. */
export async function runCollect(ex: Executor, spec: RunSpec, signal?: AbortSignal): Promise<RunResult & { out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const r = await ex.run({ stdin: 'ignore', stdout: (l) => out.push(l), stderr: (l) => err.push(l), ...spec }, signal);
  return { ...r, out, err };
}

/** Removes a test dir. */
export function removeTree(p: string): void {
  rmSync(p, { recursive: true, force: true });
}
