// Union filesystem benchmark (issue 4): the kernel overlay, strata-unionfs and Debian's fuse-overlayfs over the
// same lower layers on one fresh tmpfs. Each contender gets a fresh upper dir per round; the median of the
// rounds is printed per phase, with ratios to the kernel overlay and strata-unionfs vs fuse-overlayfs. CPU time
// (benchmark process + FUSE daemon, from /proc in 10 ms ticks) is printed too: on a loaded machine it varies
// far less than wall time.
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

/** @strata/snapshot's upper-dir differ, when that package is built (the "diff" phase is skipped otherwise). */
async function loadDiffer() {
  try {
    return (await import(path.join(repo, 'packages', 'snapshot', 'dist', 'src', 'index.js'))).diffUpper;
  } catch {
    return undefined;
  }
}

/** The FUSE daemon serving mnt (the process with /dev/fuse open that names mnt), or undefined. */
function daemonPid(mnt) {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => path.resolve(a) === mnt)) continue;
      if (fs.readdirSync(`/proc/${pid}/fd`).some((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === '/dev/fuse'; } catch { return false; } })) return pid;
    } catch { /* gone */ }
  }
  return undefined;
}

/** CPU seconds used so far by pid (user + system). */
function procCpu(pid) {
  if (!pid) return 0;
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root (mounts)');
  if (!fs.existsSync(strataBin)) throw new Error(`build first: ${strataBin}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-unionfs-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=4g', 'tmpfs', root]);
  const results = {};
  const cpu = {};
  const diffUpper = await loadDiffer();
  const allPhases = diffUpper ? [...phases, ['diff upper', null]] : phases;
  try {
    const lowers = makeLowers(root);
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.entries(contenders);
      for (let k = 0; k < round % order.length; k++) order.push(order.shift()); // rotate: no contender always first
      for (const [name, mount] of order) {
        const dir = path.join(root, `${name}-${round}`);
        const [up, work, mnt] = ['upper', 'work', 'mnt'].map((d) => path.join(dir, d));
        for (const d of [up, work, mnt]) fs.mkdirSync(d, { recursive: true });
        mount(lowers, up, work, mnt);
        await waitMounted(mnt);
        const pid = daemonPid(mnt);
        try {
          for (const [phase, fn] of allPhases) {
            const t0 = process.hrtime.bigint(), c0 = process.cpuUsage(), d0 = procCpu(pid);
            if (fn) fn(mnt);
            else for await (const entry of diffUpper(up)) void entry; // the upper dir → OCI change set
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            ((results[phase] ??= {})[name] ??= []).push(s);
            const c = process.cpuUsage(c0);
            ((cpu[phase] ??= {})[name] ??= []).push((c.user + c.system) / 1e6 + procCpu(pid) - d0);
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
  console.log(`median of ${ROUNDS} rounds; tmpfs; kernel ${os.release()}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  if (!diffUpper) console.log('(diff upper skipped: packages/snapshot is not built)');
  table('wall seconds (ratio to kernel overlay)', results);
  table('CPU seconds, benchmark process + FUSE daemon (ratio to kernel overlay)', cpu);
}

/** Prints one table: per phase the median of each contender and the ratios. */
function table(title, data) {
  const pad = (s, n) => String(s).padEnd(n);
  const fmt = (x) => x.toFixed(4);
  const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
  console.log(`\n${title}`);
  console.log([pad('phase', 15), pad('kernel', 9), pad('strata-unionfs', 22), pad('fuse-overlayfs', 22), 'fuse-overlayfs/strata'].join(''));
  for (const phase of Object.keys(data)) {
    const k = median(data[phase].kernel), s = median(data[phase].strata), f = median(data[phase]['fuse-overlayfs']);
    console.log([pad(phase, 15), pad(fmt(k), 9), pad(`${fmt(s)} (${ratio(s, k)})`, 22),
      pad(`${fmt(f)} (${ratio(f, k)})`, 22), ratio(f, s)].join(''));
  }
}

main().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
