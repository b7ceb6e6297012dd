// Build benchmark (issue 8): the five cases of cases.mjs, each cold (empty store and cache, base image
// present), fully cached (nothing changed) and one-file-changed, built by strata, docker build (BuildKit in
// a private Debian dockerd) and buildah bud --layers in the same run. Every builder's data — state roots,
// the docker data-root, the buildah root, the contexts — lives on one fresh filesystem (tmpfs, or a
// loop-mounted ext4 with --fs ext4) that this script mounts and removes. Prints median seconds per
// case/phase, the ratios strata/BuildKit and strata/buildah, the peak RSS of the strata process, and
// whether the issue's targets are met.
// Run as root after a build (`npx tsc -b test packages/cli`):
//   node benchmarks/build/run.mjs [--rounds 3] [--cases abcde] [--builders strata,docker,buildah] [--fs tmpfs|ext4]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cases } from './cases.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
// The shipped CLI is the bundle (packages/cli/bundle.mjs); made fresh here in case only `tsc -b` ran.
execFileSync(process.execPath, [path.join(repo, 'packages', 'cli', 'bundle.mjs'), '--if-stale'], { stdio: 'inherit' });
// `strata` as users run it: the launcher script in front of the bundle.
const bin = path.join(repo, 'packages', 'cli', 'bin', 'strata');
const { startDockerd, dockerdUnavailable } = await import(path.join(repo, 'test', 'dist', 'support', 'dockerd.js'));

const opt = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const ROUNDS = Number(opt('rounds', '3'));
const CASES = opt('cases', 'abcde').split('');
const FS = opt('fs', 'tmpfs');
let BUILDERS = opt('builders', 'strata,docker,buildah').split(',');
const PHASES = ['cold', 'cached', 'changed'];
// Targets of the issue, as the largest allowed strata/BuildKit ratio per phase (case b's cached: 0.5).
const TARGET = { cold: () => 0.7, changed: () => 0.5, cached: (c) => (c === 'b' ? 0.5 : 1.0) };
const RSS_LIMIT_KB = 300 * 1024;

if (process.getuid() !== 0) { console.error('run as root (mounts, dockerd, buildah)'); process.exit(2); }
for (const c of CASES) if (!cases[c]) { console.error(`unknown case ${c}`); process.exit(2); }
if (BUILDERS.includes('docker') && dockerdUnavailable()) { console.error(`docker skipped: ${dockerdUnavailable()}`); BUILDERS = BUILDERS.filter((b) => b !== 'docker'); }
if (BUILDERS.includes('buildah') && !fs.existsSync('/usr/bin/buildah')) { console.error('buildah skipped: /usr/bin/buildah absent'); BUILDERS = BUILDERS.filter((b) => b !== 'buildah'); }

const work = fs.mkdtempSync('/tmp/strata-bench-build-');
const mnt = path.join(work, 'mnt');
const logs = path.join(repo, 'benchmarks', 'results', 'build-logs');
fs.mkdirSync(mnt);
fs.mkdirSync(logs, { recursive: true });
const sh = (cmd, args, env) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, maxBuffer: 64 << 20 }).toString();
const mountsUnder = (dir) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
  .filter((m) => m && (m === dir || m.startsWith(dir + '/'))).sort((a, b) => b.length - a.length);
let dockerd = null;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (dockerd) await dockerd.stop().catch((e) => console.error(`dockerd stop: ${e.message}`));
  for (const m of mountsUnder(mnt)) spawnSync('umount', ['-l', m]);
  fs.rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });

if (FS === 'ext4') {
  const img = path.join(work, 'fs.img');
  sh('truncate', ['-s', '40G', img]);
  sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', img]);
  sh('mount', ['-o', 'loop', img, mnt]);
} else sh('mount', ['-t', 'tmpfs', '-o', 'size=16g,mode=0755', 'tmpfs', mnt]);

// ---- builders: reset(c) empties the store for case c; build(c, ctx) runs one build and returns its output.
const strataRoot = (c) => path.join(mnt, `strata-${c}`);
const buildahFlags = (c) => ['--root', path.join(mnt, `buildah-${c}`), '--runroot', path.join(mnt, `buildah-run-${c}`), '--storage-driver', 'overlay'];
const rssFile = path.join(mnt, 'rss');
const peakRss = [];
const bbTar = path.join(mnt, 'busybox.tar');

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')}… failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
  return r.stdout + r.stderr;
}

const builders = {
  strata: {
    reset(c) {
      fs.rmSync(strataRoot(c), { recursive: true, force: true });
      run(bin, ['load', '-i', bbTar], { ...process.env, STRATA_ROOT: strataRoot(c) });
    },
    build(c, ctx) {
      const out = run('/usr/bin/time', ['-f', '%M', '-o', rssFile, bin, 'build', '--progress', 'plain', '-t', `bench-${c}:latest`, ctx],
        { ...process.env, STRATA_ROOT: strataRoot(c) });
      peakRss.push({ c, kb: Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) });
      return out;
    },
    done(c) { fs.rmSync(strataRoot(c), { recursive: true, force: true }); },
  },
  docker: {
    reset(c) {
      spawnSync('/usr/bin/docker', ['rmi', '-f', `bench-${c}`], { env: dockerd.env });
      run('/usr/bin/docker', ['builder', 'prune', '-af'], dockerd.env);
    },
    build(c, ctx) { return run('/usr/bin/docker', ['build', '--network=none', '--progress=plain', '-t', `bench-${c}`, ctx], dockerd.env); },
    done(c) { builders.docker.reset(c); },
  },
  buildah: {
    reset(c) {
      builders.buildah.done(c);
      run('/usr/bin/buildah', [...buildahFlags(c), 'pull', '-q', `docker-archive:${bbTar}`]);
    },
    build(c, ctx) {
      return run('/usr/bin/buildah', [...buildahFlags(c), 'bud', '--layers', '--runtime=/usr/sbin/runc', '--isolation=oci',
        '--network=none', '-t', `bench-${c}`, ctx]);
    },
    done(c) {
      if (fs.existsSync(path.join(mnt, `buildah-${c}`))) spawnSync('/usr/bin/buildah', [...buildahFlags(c), 'rm', '-a']);
      for (const m of [...mountsUnder(path.join(mnt, `buildah-${c}`)), ...mountsUnder(path.join(mnt, `buildah-run-${c}`))]) spawnSync('umount', ['-l', m]);
      fs.rmSync(path.join(mnt, `buildah-${c}`), { recursive: true, force: true });
      fs.rmSync(path.join(mnt, `buildah-run-${c}`), { recursive: true, force: true });
    },
  },
};

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const secs = {}; // secs[case][builder][phase] = [s, …]

try {
  // The busybox base, made offline, as a docker-archive every builder loads.
  const seed = path.join(mnt, 'seed');
  run('bash', [path.join(repo, 'fixtures', 'make-busybox.sh'), seed]);
  run(bin, ['save', '-o', bbTar, '--format', 'docker', 'busybox:latest'], { ...process.env, STRATA_ROOT: seed });
  fs.rmSync(seed, { recursive: true, force: true });
  if (BUILDERS.includes('docker')) {
    dockerd = await startDockerd({ base: mnt });
    run('/usr/bin/docker', ['load', '-i', bbTar], dockerd.env);
  }
  console.log(`build benchmark: ${ROUNDS} round(s), cases ${CASES.join('')}, builders ${BUILDERS.join(', ')}, data on ${FS} at ${mnt}`);
  for (const c of CASES) {
    secs[c] = Object.fromEntries(BUILDERS.map((b) => [b, { cold: [], cached: [], changed: [] }]));
    const template = path.join(mnt, `ctx-${c}`);
    cases[c].make(template);
    for (let r = 0; r < ROUNDS; r++) {
      for (const b of BUILDERS) {
        const ctx = path.join(mnt, `ctx-${c}-${b}`);
        fs.rmSync(ctx, { recursive: true, force: true });
        sh('cp', ['-a', template, ctx]);
        builders[b].reset(c);
        for (const phase of PHASES) {
          if (phase === 'changed') cases[c].change(ctx);
          const t0 = process.hrtime.bigint();
          const out = builders[b].build(c, ctx);
          const s = Number(process.hrtime.bigint() - t0) / 1e9;
          secs[c][b][phase].push(s);
          fs.writeFileSync(path.join(logs, `${c}-${b}-${phase}.log`), out);
          process.stdout.write(`  ${c} round ${r + 1} ${b.padEnd(7)} ${phase.padEnd(7)} ${s.toFixed(2)} s\n`);
        }
        fs.rmSync(ctx, { recursive: true, force: true });
      }
    }
    for (const b of BUILDERS) builders[b].done(c);
    fs.rmSync(template, { recursive: true, force: true });
  }
} catch (e) {
  console.error(`benchmark failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

// ---- report
const fmt = (x) => (x === undefined || Number.isNaN(x) ? '   -  ' : x.toFixed(2).padStart(6));
const misses = [];
console.log(`\nmedian seconds (${ROUNDS} round(s)); ratio = strata / other (lower is better)`);
console.log(`case phase   ${BUILDERS.map((b) => b.padStart(8)).join('')}  s/BuildKit  s/buildah  target`);
for (const c of Object.keys(secs)) {
  for (const phase of PHASES) {
    const m = Object.fromEntries(BUILDERS.map((b) => [b, secs[c][b][phase].length ? median(secs[c][b][phase]) : undefined]));
    const rb = m.strata !== undefined && m.docker ? m.strata / m.docker : undefined;
    const rh = m.strata !== undefined && m.buildah ? m.strata / m.buildah : undefined;
    const limit = TARGET[phase](c);
    const verdict = rb === undefined ? '' : rb <= limit ? `ok (≤${limit})` : `MISS (≤${limit})`;
    if (verdict.startsWith('MISS')) misses.push(`${c}/${phase} ${rb.toFixed(2)}x BuildKit (target ≤${limit})`);
    console.log(`${c}    ${phase.padEnd(7)} ${BUILDERS.map((b) => `  ${fmt(m[b])}`).join('')}  ${fmt(rb)}x     ${fmt(rh)}x   ${verdict}`);
  }
}
if (peakRss.length) {
  const top = peakRss.reduce((a, b) => (b.kb > a.kb ? b : a));
  const ok = top.kb < RSS_LIMIT_KB;
  if (!ok) misses.push(`peak RSS ${(top.kb / 1024).toFixed(0)} MB (case ${top.c})`);
  console.log(`strata peak RSS: ${(top.kb / 1024).toFixed(0)} MB (case ${top.c}) ${ok ? 'ok (<300 MB)' : 'MISS (<300 MB)'}`);
}
console.log(misses.length ? `targets missed: ${misses.join('; ')}` : 'all targets met');
console.log(`last build logs: ${path.relative(repo, logs)}/`);
