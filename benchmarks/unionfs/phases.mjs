// The union filesystem benchmark's workload (issue 4), shared by bench.mjs (timing) and profile.mjs (FUSE
// request counts): the lower layers, the three contenders' mount commands and the phases, in order.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const repo = path.resolve(here, '..', '..');
/** The strata-unionfs binary the benchmark mounts ($STRATA_UNIONFS_BIN: another build, e.g. an older commit's). */
export const strataBin = process.env.STRATA_UNIONFS_BIN ?? path.join(repo, 'native-overlay', 'build', 'bin', 'strata-unionfs');
const N = 10_000, K = 1_000, BIG = 64 << 20, DATA = 256 << 20;

/** Runs a command, its output discarded (errors still shown). */
export const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const isMounted = (t) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === t);
/** Waits until t is a mount point (the FUSE daemons mount in the background). */
export async function waitMounted(t) {
  for (let i = 0; i < 500 && !isMounted(t); i++) await new Promise((r) => setTimeout(r, 10));
  if (!isMounted(t)) throw new Error(`not mounted: ${t}`);
}

/** Lower layers: lower1 (bottom) holds the 10k dir and the big files, lower0 (top) the 1k-file sets. */
export function makeLowers(root) {
  const l0 = path.join(root, 'lower0'), l1 = path.join(root, 'lower1');
  const small = Buffer.alloc(4096, 'a');
  for (const d of ['read', 'copyup', 'chmod', 'unlink']) {
    fs.mkdirSync(path.join(l0, d), { recursive: true });
    for (let i = 0; i < K; i++) fs.writeFileSync(path.join(l0, d, `f${i}`), small);
  }
  fs.mkdirSync(path.join(l1, 'many'), { recursive: true });
  for (let i = 0; i < N; i++) fs.writeFileSync(path.join(l1, 'many', `entry-${i}`), 'x');
  fs.writeFileSync(path.join(l1, 'big'), Buffer.alloc(BIG, 'b'));
  const chunk = Buffer.alloc(1 << 20, 'd');
  const fd = fs.openSync(path.join(l1, 'data'), 'w');
  for (let i = 0; i < DATA >> 20; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  return [l0, l1];
}

/** Mount commands by contender name: (lower dirs top first, upper, work, mount point). */
export const contenders = {
  kernel: (lowers, up, work, mnt) => sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]),
  strata: (lowers, up, work, mnt) => sh(strataBin, ['-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]),
  'fuse-overlayfs': (lowers, up, work, mnt) => sh('fuse-overlayfs', ['-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]),
};

/** $STRATA_UNIONFS_BASE: a second strata-unionfs build (e.g. before a change), benchmarked in the same run. */
export const baseBin = process.env.STRATA_UNIONFS_BASE;
if (baseBin) contenders['strata-base'] = (lowers, up, work, mnt) => sh(baseBin, ['-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]);

/** The phases, in order, on a fresh mount; each is timed alone. */
export const phases = [
  ['create 10k', (m) => { fs.mkdirSync(path.join(m, 'new')); for (let i = 0; i < N; i++) fs.writeFileSync(path.join(m, 'new', `f${i}`), 'hello'); }],
  ['stat 20k', (m) => { for (let i = 0; i < N; i++) { fs.statSync(path.join(m, 'new', `f${i}`)); fs.statSync(path.join(m, 'many', `entry-${i}`)); } }],
  ['read 1k', (m) => { for (let i = 0; i < K; i++) fs.readFileSync(path.join(m, 'read', `f${i}`)); }],
  ['copy-up 1k', (m) => { for (let i = 0; i < K; i++) fs.appendFileSync(path.join(m, 'copyup', `f${i}`), '+'); }],
  ['chmod 1k', (m) => { for (let i = 0; i < K; i++) fs.chmodSync(path.join(m, 'chmod', `f${i}`), 0o600); }],
  ['unlink 1k', (m) => { for (let i = 0; i < K; i++) fs.unlinkSync(path.join(m, 'unlink', `f${i}`)); }],
  ['copy-up 64 MB', (m) => { fs.appendFileSync(path.join(m, 'big'), '+'); }],
  ['readdir 10k', (m) => { if (fs.readdirSync(path.join(m, 'many'), { withFileTypes: true }).length !== N) throw new Error('readdir'); }],
  ['read 256 MB', (m) => {
    const fd = fs.openSync(path.join(m, 'data'), 'r');
    const buf = Buffer.alloc(1 << 20);
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    fs.closeSync(fd);
  }],
  ['write 256 MB', (m) => {
    const fd = fs.openSync(path.join(m, 'written'), 'w');
    const buf = Buffer.alloc(1 << 20, 'w');
    for (let i = 0; i < DATA >> 20; i++) fs.writeSync(fd, buf);
    fs.closeSync(fd);
  }],
];

/** @strata/snapshot's upper-dir differ, when that package is built (the "diff" phase is skipped otherwise). */
export async function loadDiffer() {
  try {
    return (await import(path.join(repo, 'packages', 'snapshot', 'dist', 'src', 'index.js'))).diffUpper;
  } catch {
    return undefined;
  }
}
