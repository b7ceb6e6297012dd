// Remote cache benchmark (issue 7): for the cases of benchmarks/build, a CI runner builds and exports its
// cache, then an empty runner (busybox only) imports it and builds. strata goes through the registry and
// through SFTP; the peers through the same local registry: `buildah bud --layers --cache-to/--cache-from`
// and `docker build` with BuildKit's inline cache (a private dockerd, pushed, then --cache-from on an empty
// daemon). Every contender's data — state roots, storages, the registry, the sshd data — lives on one fresh
// tmpfs this script mounts and removes; servers are started and stopped by PID.
// Phases per contender: cold (a plain build), cold+export (a fresh runner building and exporting), import
// (a fresh runner building with the cache). export = (cold+export) − cold. Bytes moved through the registry
// are the registry process's own read/write counts (/proc/PID/io), the same meter for everyone; strata's
// own counts come from its --metadata-file.
// Run as root after `npx tsc -b test packages/cli`:
//   node benchmarks/cache/run.mjs [--cases ac] [--peers docker,buildah]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cases } from '../build/cases.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = path.join(repo, 'packages', 'cli', 'dist', 'src', 'bin.js');
const support = (f) => import(path.join(repo, 'test', 'dist', 'support', f));
const { startDockerd, dockerdUnavailable } = await support('dockerd.js');
const { startRegistry } = await support('registry-server.js');
const { startSshd } = await support('sshd-server.js');

const opt = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const CASES = opt('cases', 'ac').split('');
let PEERS = opt('peers', 'docker,buildah').split(',').filter(Boolean);
if (process.getuid() !== 0) { console.error('run as root (mounts, dockerd, buildah, sshd)'); process.exit(2); }
for (const c of CASES) if (!cases[c]) { console.error(`unknown case ${c}`); process.exit(2); }
if (PEERS.includes('docker') && dockerdUnavailable()) { console.error(`docker skipped: ${dockerdUnavailable()}`); PEERS = PEERS.filter((p) => p !== 'docker'); }
if (PEERS.includes('buildah') && !fs.existsSync('/usr/bin/buildah')) { console.error('buildah skipped: /usr/bin/buildah absent'); PEERS = PEERS.filter((p) => p !== 'buildah'); }

const work = fs.mkdtempSync('/tmp/strata-bench-cache-');
fs.chmodSync(work, 0o755); // sshd's test user reads its authorized_keys and data dir below
const mnt = path.join(work, 'mnt');
fs.mkdirSync(mnt);
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24g,mode=0755', 'tmpfs', mnt]);
process.env.TMPDIR = mnt; // the registry's and sshd's temp dirs land on the bench fs too
const mountsUnder = (dir) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
  .filter((m) => m && (m === dir || m.startsWith(dir + '/'))).sort((a, b) => b.length - a.length);
let reg = null;
let sshd = null;
let dockerd = null;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const s of [dockerd, sshd, reg]) if (s) await s.stop().catch((e) => console.error(`stop: ${e.message}`));
  for (const m of mountsUnder(mnt)) spawnSync('umount', ['-l', m]);
  fs.rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 4).join(' ')}… failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-6).join('\n')}`);
  return r.stdout + r.stderr;
}
const timed = (fn) => { const t0 = process.hrtime.bigint(); const out = fn(); return { s: Number(process.hrtime.bigint() - t0) / 1e9, out }; };
/** The registry's own I/O so far: bytes it wrote (uploads) and read (downloads), from /proc/PID/io. */
const regIo = () => {
  const t = fs.readFileSync(`/proc/${reg.pid}/io`, 'utf8');
  const v = (k) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(t)[1]);
  return { w: v('wchar'), r: v('rchar') };
};
const metered = (fn) => { const a = regIo(); const r = timed(fn); const b = regIo(); return { ...r, up: b.w - a.w, down: b.r - a.r }; };
const bbTar = path.join(mnt, 'busybox.tar');
const ctxOf = (c, tag) => { const d = path.join(mnt, `ctx-${c}-${tag}`); fs.rmSync(d, { recursive: true, force: true }); run('cp', ['-a', path.join(mnt, `tpl-${c}`), d]); return d; };

// ---- strata: a runner is a state root with busybox loaded.
let runnerN = 0;
const strataRunner = () => {
  const root = path.join(mnt, `strata-runner-${++runnerN}`);
  run(process.execPath, [bin, 'load', '-i', bbTar], { ...process.env, STRATA_ROOT: root });
  return root;
};
const strataBuild = (root, ctx, extra, env = {}) => {
  const meta = path.join(mnt, `meta-${Date.now()}.json`);
  const r = timed(() => run(process.execPath, [bin, 'build', '--progress', 'plain', '--metadata-file', meta, ...extra, ctx], { ...process.env, STRATA_ROOT: root, ...env }));
  const m = JSON.parse(fs.readFileSync(meta, 'utf8'))['strata.cache'];
  fs.rmSync(meta);
  return { ...r, meta: m };
};
function strataCase(c, transport, spec, env) {
  const A = strataRunner();
  const cold = strataBuild(A, ctxOf(c, 'a'), []);
  const A2 = strataRunner();
  const coldExport = strataBuild(A2, ctxOf(c, 'a2'), ['--cache-to', `${spec},mode=max`], env);
  const ex = coldExport.meta.remote.exported[0];
  if (!ex) throw new Error(`strata ${transport}: export failed: ${coldExport.out.split('\n').filter((l) => l.startsWith('WARNING')).join(' ')}`);
  const B = strataRunner();
  const imp = strataBuild(B, ctxOf(c, 'b'), ['--cache-from', spec], env);
  // A one-file change on runner A2, exported again: only the changed steps' blobs should travel.
  const ctxChanged = ctxOf(c, 'a3');
  cases[c].change(ctxChanged);
  const again = strataBuild(A2, ctxChanged, ['--cache-to', `${spec},mode=max`], env);
  for (const r of [A, A2, B]) fs.rmSync(r, { recursive: true, force: true });
  const imported = imp.meta.remote.imported;
  return {
    cold: cold.s, coldExport: coldExport.s, import: imp.s, up: ex.bytesUploaded, down: imported.bytesDownloaded,
    note: `import ${imp.meta.cached} cached/${imp.meta.ran} run; change re-export: ${again.meta.remote.exported[0].blobsUploaded} blob(s), ${(again.meta.remote.exported[0].bytesUploaded / 1024).toFixed(0)} kB`,
  };
}

// ---- peers, through the same registry
const bhFlags = (n) => ['--root', path.join(mnt, `buildah-${n}`), '--runroot', path.join(mnt, `buildah-run-${n}`), '--storage-driver', 'overlay'];
let bhN = 0;
const bhRunner = () => { const n = ++bhN; run('/usr/bin/buildah', [...bhFlags(n), 'pull', '-q', `docker-archive:${bbTar}`]); return n; };
const bhDone = (n) => {
  spawnSync('/usr/bin/buildah', [...bhFlags(n), 'rm', '-a']);
  for (const m of [...mountsUnder(path.join(mnt, `buildah-${n}`)), ...mountsUnder(path.join(mnt, `buildah-run-${n}`))]) spawnSync('umount', ['-l', m]);
  fs.rmSync(path.join(mnt, `buildah-${n}`), { recursive: true, force: true });
  fs.rmSync(path.join(mnt, `buildah-run-${n}`), { recursive: true, force: true });
};
const bhBuild = (n, ctx, extra) => run('/usr/bin/buildah', [...bhFlags(n), 'bud', '--layers', '--runtime=/usr/sbin/runc', '--isolation=oci', '--network=none', '--tls-verify=false', ...extra, '-t', 'bench', ctx]);
function buildahCase(c) {
  const cache = `${reg.host}/buildah/${c}`;
  const a = bhRunner();
  const cold = timed(() => bhBuild(a, ctxOf(c, 'ha'), []));
  const a2 = bhRunner();
  const ce = metered(() => bhBuild(a2, ctxOf(c, 'ha2'), ['--cache-to', cache]));
  const b = bhRunner();
  const imp = metered(() => bhBuild(b, ctxOf(c, 'hb'), ['--cache-from', cache]));
  const usedCache = (imp.out.match(/Using cache/g) ?? []).length;
  for (const n of [a, a2, b]) bhDone(n);
  return { cold: cold.s, coldExport: ce.s, import: imp.s, up: ce.up, down: imp.down, note: `import: ${usedCache} "Using cache"` };
}
function dockerCase(c) {
  const ref = `${reg.host}/docker/${c}:latest`;
  const reset = () => { spawnSync('/usr/bin/docker', ['rmi', '-f', ref, 'bench'], { env: dockerd.env }); run('/usr/bin/docker', ['builder', 'prune', '-af'], dockerd.env); };
  const build = (ctx, extra) => run('/usr/bin/docker', ['build', '--network=none', '--progress=plain', ...extra, ctx], dockerd.env);
  reset();
  const cold = timed(() => build(ctxOf(c, 'da'), ['-t', 'bench']));
  reset();
  const ce = metered(() => { build(ctxOf(c, 'da2'), ['--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', ref]); return run('/usr/bin/docker', ['push', ref], dockerd.env); });
  reset();
  const imp = metered(() => build(ctxOf(c, 'db'), ['--cache-from', ref, '-t', 'bench']));
  const usedCache = (imp.out.match(/CACHED/g) ?? []).length;
  reset();
  return { cold: cold.s, coldExport: ce.s, import: imp.s, up: ce.up, down: imp.down, note: `import: ${usedCache} CACHED` };
}

const results = {}; // results[case][contender] = { cold, coldExport, import, up, down, note }
try {
  const seed = path.join(mnt, 'seed');
  run('bash', [path.join(repo, 'fixtures', 'make-busybox.sh'), seed]);
  run(process.execPath, [bin, 'save', '-o', bbTar, '--format', 'docker', 'busybox:latest'], { ...process.env, STRATA_ROOT: seed });
  fs.rmSync(seed, { recursive: true, force: true });
  reg = await startRegistry();
  sshd = await startSshd();
  if (PEERS.includes('docker')) {
    dockerd = await startDockerd({ base: mnt });
    run('/usr/bin/docker', ['load', '-i', bbTar], dockerd.env);
  }
  console.log(`cache benchmark: cases ${CASES.join('')}, peers ${PEERS.join(', ') || 'none'}, data on tmpfs at ${mnt}`);
  for (const c of CASES) {
    cases[c].make(path.join(mnt, `tpl-${c}`));
    results[c] = {};
    const contenders = {
      'strata-registry': () => strataCase(c, 'registry', `type=registry,ref=${reg.host}/strata/${c}`),
      'strata-sftp': () => strataCase(c, 'sftp', `type=sftp,url=sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.dataDir}/${c},key=${sshd.clientKey},known_hosts=${sshd.knownHosts}`),
      ...(PEERS.includes('buildah') ? { buildah: () => buildahCase(c) } : {}),
      ...(PEERS.includes('docker') ? { docker: () => dockerCase(c) } : {}),
    };
    for (const [name, fn] of Object.entries(contenders)) {
      try {
        results[c][name] = fn();
        const r = results[c][name];
        console.log(`  ${c} ${name.padEnd(16)} cold ${r.cold.toFixed(2)} s, cold+export ${r.coldExport.toFixed(2)} s, import+build ${r.import.toFixed(2)} s  (${r.note})`);
      } catch (e) {
        console.log(`  ${c} ${name.padEnd(16)} FAILED: ${e.message.split('\n')[0]}`);
      }
    }
    fs.rmSync(path.join(mnt, `tpl-${c}`), { recursive: true, force: true });
  }
} catch (e) {
  console.error(`benchmark failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

// ---- report
const mb = (b) => (b === undefined ? '    -' : (b / 1048576).toFixed(1).padStart(6));
const f = (x) => (x === undefined || Number.isNaN(x) ? '    -' : x.toFixed(2).padStart(6));
console.log('\nseconds and MB moved; export = (cold+export) − cold; ratio = strata-registry / the faster peer (lower is better)');
console.log('case contender          cold  export  import   MB up MB down');
const misses = [];
for (const [c, byName] of Object.entries(results)) {
  for (const [name, r] of Object.entries(byName)) {
    console.log(`${c}    ${name.padEnd(16)} ${f(r.cold)}  ${f(Math.max(0, r.coldExport - r.cold))}  ${f(r.import)}  ${mb(r.up)}  ${mb(r.down)}`);
  }
  const s = byName['strata-registry'];
  const peers = Object.entries(byName).filter(([n]) => !n.startsWith('strata'));
  if (!s || peers.length === 0) continue;
  const fastest = (k) => peers.map(([n, r]) => [n, k(r)]).sort((a, b) => a[1] - b[1])[0];
  const [pe, exPeer] = fastest((r) => Math.max(0.01, r.coldExport - r.cold));
  const [pi, impPeer] = fastest((r) => r.import);
  const exRatio = Math.max(0, s.coldExport - s.cold) / exPeer;
  const impRatio = s.import / impPeer;
  console.log(`${c}    ratios: export ${exRatio.toFixed(2)}x ${pe} (target ≤0.5) ${exRatio <= 0.5 ? 'ok' : 'MISS'}; import+build ${impRatio.toFixed(2)}x ${pi} (target ≤0.5) ${impRatio <= 0.5 ? 'ok' : 'MISS'}`);
  if (exRatio > 0.5) misses.push(`${c} export ${exRatio.toFixed(2)}x`);
  if (impRatio > 0.5) misses.push(`${c} import ${impRatio.toFixed(2)}x`);
}
console.log(misses.length ? `targets missed: ${misses.join('; ')}` : 'all targets met');
