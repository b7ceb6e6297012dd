// Where a FUSE contender's time goes, per benchmark phase: the FUSE requests the kernel sent (by opcode) and
// their mean round trip (request sent -> reply received), from the kernel's fuse tracepoints in a private
// tracefs instance. One round, no timing table: run bench.mjs for that.
// Run as root: node benchmarks/unionfs/profile.mjs [--contenders strata,fuse-overlayfs] [--phases 'stat 20k,read 1k']
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contenders, makeLowers, phases, sh, waitMounted } from './phases.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const which = arg('--contenders', 'strata,fuse-overlayfs').split(',');
const only = arg('--phases', '').split(',').filter(Boolean);
const TRACE = '/sys/kernel/tracing/instances/strata-unionfs-profile';

/** Per opcode: count and mean round trip in microseconds, for requests on connection conn. */
function summarize(text, conn) {
  const sent = new Map(), ops = new Map();
  for (const line of text.split('\n')) {
    const m = /\s(\d+\.\d+): fuse_request_(send|end): connection (\d+) req (\d+)(?: opcode \d+ \((\w+)\))?/.exec(line);
    if (!m || Number(m[3]) !== conn) continue;
    const t = Number(m[1]) * 1e6;
    if (m[2] === 'send') { sent.set(m[4], { op: m[5], t }); continue; }
    const s = sent.get(m[4]);
    if (!s) continue;
    sent.delete(m[4]);
    const o = ops.get(s.op) ?? { n: 0, us: 0 };
    o.n++; o.us += t - s.t;
    ops.set(s.op, o);
  }
  for (const s of sent.values()) { const o = ops.get(s.op) ?? { n: 0, us: 0 }; o.n++; ops.set(s.op, o); } // no reply (FORGET)
  return [...ops].sort((a, b) => b[1].n - a[1].n).map(([op, o]) => `${op.replace('FUSE_', '')} ${o.n} (${(o.us / o.n).toFixed(1)} us)`).join(', ');
}

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root (mounts, tracefs)');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-profile-unionfs-'));
  sh('mount', ['-t', 'tmpfs', '-o', 'size=4g', 'tmpfs', root]);
  fs.mkdirSync(TRACE, { recursive: true }); // left over by an interrupted run: reuse it
  try {
    fs.writeFileSync(`${TRACE}/buffer_size_kb`, '65536');
    const lowers = makeLowers(root);
    for (const name of which) {
      const dir = path.join(root, name);
      const [up, work, mnt] = ['upper', 'work', 'mnt'].map((d) => path.join(dir, d));
      for (const d of [up, work, mnt]) fs.mkdirSync(d, { recursive: true });
      contenders[name](lowers, up, work, mnt);
      await waitMounted(mnt);
      const conn = fs.statSync(mnt).dev & 0xff | (fs.statSync(mnt).dev >> 12 & ~0xff);
      console.log(`\n${name}`);
      try {
        for (const [phase, fn] of phases) {
          const traced = only.length === 0 || only.includes(phase);
          if (traced) {
            fs.writeFileSync(`${TRACE}/trace`, '');
            fs.writeFileSync(`${TRACE}/events/fuse/enable`, '1');
          }
          const t0 = process.hrtime.bigint();
          fn(mnt);
          const s = Number(process.hrtime.bigint() - t0) / 1e9;
          if (!traced) continue;
          fs.writeFileSync(`${TRACE}/events/fuse/enable`, '0');
          console.log(`  ${phase.padEnd(14)} ${s.toFixed(4)} s  ${summarize(fs.readFileSync(`${TRACE}/trace`, 'utf8'), conn)}`);
        }
      } finally {
        sh('umount', [mnt]);
      }
    }
  } finally {
    fs.rmdirSync(TRACE);
    sh('umount', [root]);
    fs.rmdirSync(root);
  }
}

main().catch((e) => { console.error(`profile: ${e.message}`); process.exit(1); });
