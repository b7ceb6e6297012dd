// Union filesystem benchmark (issue 4): the kernel overlay, strata-unionfs and Debian's fuse-overlayfs over the
// same lower layers on one fresh tmpfs. Each contender gets a fresh upper dir per round; the median of the
// rounds is printed per phase, with ratios to the kernel overlay and strata-unionfs vs fuse-overlayfs. CPU time
// (benchmark process + every FUSE daemon thread, from /proc/*/schedstat) is printed too: on a loaded machine it varies
// far less than wall time.
// Run as root: node benchmarks/unionfs/bench.mjs [--rounds N]   (build first: scripts/build-native-overlay.sh)
// STRATA_UNIONFS_BASE=/path/to/older/strata-unionfs adds that build as a fourth contender (before/after in one run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseBin, contenders, loadDiffer, makeLowers, phases, sh, strataBin, waitMounted } from './phases.mjs';

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;

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

/** CPU seconds used so far by pid, all its threads (schedstat: nanoseconds, not 10 ms ticks). */
function procCpu(pid) {
  if (!pid) return 0;
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* exited */ }
  }
  return ns / 1e9;
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
  const base = baseBin ? ['strata-base', 'fuse-overlayfs/strata-base'] : [];
  console.log([pad('phase', 15), pad('kernel', 9), pad('strata-unionfs', 22), pad('fuse-overlayfs', 22), pad('fuse-overlayfs/strata', 23),
    ...base.map((b) => pad(b, 23))].join(''));
  for (const phase of Object.keys(data)) {
    const k = median(data[phase].kernel), s = median(data[phase].strata), f = median(data[phase]['fuse-overlayfs']);
    const b = baseBin ? median(data[phase]['strata-base']) : 0;
    console.log([pad(phase, 15), pad(fmt(k), 9), pad(`${fmt(s)} (${ratio(s, k)})`, 22),
      pad(`${fmt(f)} (${ratio(f, k)})`, 22), pad(ratio(f, s), 23), ...(baseBin ? [pad(`${fmt(b)} (${ratio(b, k)})`, 23), ratio(f, b)] : [])].join(''));
  }
}

main().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
