// Union filesystem benchmark (issue 4): the kernel overlay, strata-unionfs and Debian's fuse-overlayfs over the
// same lower layers on one fresh tmpfs. Each contender gets a fresh upper dir per round; the median of the
// rounds is printed per phase, with ratios to the kernel overlay and strata-unionfs vs fuse-overlayfs.
// Run as root: node benchmarks/unionfs/bench.mjs [--rounds N]   (build first: scripts/build-native-overlay.sh)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const strataBin = path.join(repo, 'native-overlay', 'build', 'bin', 'strata-unionfs');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const N = 10_000, K = 1_000, BIG = 64 << 20, DATA = 256 << 20;

const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const isMounted = (t) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === t);
async function waitMounted(t) {
  for (let i = 0; i < 500 && !isMounted(t); i++) await new Promise((r) => setTimeout(r, 10));
  if (!isMounted(t)) throw new Error(`not mounted: ${t}`);
}

/** Lower layers: lower1 (bottom) holds the 10k dir and the big files, lower0 (top) the 1k-file sets. */
function makeLowers(root) {
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

const contenders = {
  kernel: (lowers, up, work, mnt) => sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]),
  strata: (lowers, up, work, mnt) => sh(strataBin, ['-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]),
  'fuse-overlayfs': (lowers, up, work, mnt) => sh('fuse-overlayfs', ['-o', `lowerdir=${lowers.join(':')},upperdir=${up},workdir=${work}`, mnt]),
};

/** The phases, in order, on a fresh mount; each returns nothing and is timed alone. */
const phases = [
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

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root (mounts)');
  if (!fs.existsSync(strataBin)) throw new Error(`build first: ${strataBin}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-unionfs-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=4g', 'tmpfs', root]);
  const results = {};
  try {
    const lowers = makeLowers(root);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, mount] of Object.entries(contenders)) {
        const dir = path.join(root, `${name}-${round}`);
        const [up, work, mnt] = ['upper', 'work', 'mnt'].map((d) => path.join(dir, d));
        for (const d of [up, work, mnt]) fs.mkdirSync(d, { recursive: true });
        mount(lowers, up, work, mnt);
        await waitMounted(mnt);
        try {
          for (const [phase, fn] of phases) {
            const t0 = process.hrtime.bigint();
            fn(mnt);
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            ((results[phase] ??= {})[name] ??= []).push(s);
          }
        } finally {
          sh('umount', [mnt]);
        }
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    sh('umount', [root]);
    fs.rmdirSync(root);
  }
  const pad = (s, n) => String(s).padEnd(n);
  const fmt = (x) => x.toFixed(4);
  console.log(`median of ${ROUNDS} rounds, seconds (ratio to kernel overlay); tmpfs; kernel ${os.release()}`);
  console.log([pad('phase', 15), pad('kernel', 9), pad('strata-unionfs', 22), pad('fuse-overlayfs', 22), 'fuse-overlayfs/strata'].join(''));
  for (const [phase] of phases) {
    const k = median(results[phase].kernel), s = median(results[phase].strata), f = median(results[phase]['fuse-overlayfs']);
    console.log([pad(phase, 15), pad(fmt(k), 9), pad(`${fmt(s)} (${(s / k).toFixed(2)}x)`, 22),
      pad(`${fmt(f)} (${(f / k).toFixed(2)}x)`, 22), `${(f / s).toFixed(2)}x`].join(''));
  }
}

main().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
