// Remote cache benchmark (issue 7): for the cases of benchmarks/build, a CI runner builds and exports its
// cache, then an empty runner (busybox only) imports it and builds. strata goes through the registry and
// through SFTP; the peers through the same local registry: `buildah bud --layers --cache-to/--cache-from`
// and `docker build` with BuildKit's inline cache (a private dockerd, pushed, then --cache-from on an empty
// daemon). Every contender's data — state roots, storages, the registry, the sshd data — lives on one fresh
// tmpfs this script mounts and removes; servers are started and stopped by PID.
// Phases per contender: cold (a plain build on an empty runner), export, and import (an empty runner building
// with the cache). export is what exporting adds: strata — a cached rebuild with --cache-to minus the cached
// rebuild; docker — the push of the inline-cache image; buildah — (cold build with --cache-to) − cold, since
// its export happens inside the build. Bytes moved through the registry are counted by a TCP proxy in front
// of it that every contender talks to (the same meter for everyone); over SFTP, strata's own counts.
// Run as root after `npx tsc -b test packages/cli`:
//   node benchmarks/cache/run.mjs [--cases ace] [--peers docker,buildah] [--rounds 3]
// Each contender runs --rounds times (fresh runners and a fresh cache repository or directory each round);
// the tables show medians.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cases } from '../build/cases.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
// The shipped CLI is the bundle (packages/cli/bundle.mjs); made fresh here in case only `tsc -b` ran.
execFileSync(process.execPath, [path.join(repo, 'packages', 'cli', 'bundle.mjs'), '--if-stale'], { stdio: 'inherit' });
// `strata` as users run it: the launcher script in front of the bundle.
const bin = path.join(repo, 'packages', 'cli', 'bin', 'strata');
const support = (f) => import(path.join(repo, 'test', 'dist', 'support', f));
const { startDockerd, dockerdUnavailable } = await support('dockerd.js');
const { startRegistry } = await support('registry-server.js');
const { startSshd } = await support('sshd-server.js');

const opt = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const CASES = opt('cases', 'ace').split('');
const ROUNDS = Number(opt('rounds', '3'));
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
  if (proxy) proxy.close();
  for (const s of [dockerd, sshd, reg]) if (s) await s.stop().catch((e) => console.error(`stop: ${e.message}`));
  for (const m of mountsUnder(mnt)) spawnSync('umount', ['-l', m]);
  fs.rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });

/** Runs a command without blocking the event loop (the byte-counting proxy lives in this process). */
function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out)
      : reject(new Error(`${path.basename(cmd)} ${args.slice(0, 4).join(' ')}… failed (${code}): ${out.trim().split('\n').slice(-6).join('\n')}`))));
  });
}
const timed = async (fn) => { const t0 = process.hrtime.bigint(); const out = await fn(); return { s: Number(process.hrtime.bigint() - t0) / 1e9, out }; };
/** A TCP proxy in front of the registry counting bytes each way: to the registry (up) and back (down). */
const meter = { up: 0, down: 0 };
let proxy = null;
let regHost = '';
const startProxy = () => new Promise((resolve) => {
  proxy = net.createServer((c) => {
    const u = net.connect(reg.port, '127.0.0.1');
    c.on('data', (d) => { meter.up += d.length; });
    u.on('data', (d) => { meter.down += d.length; });
    c.pipe(u);
    u.pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  proxy.listen(0, '127.0.0.1', () => { regHost = `127.0.0.1:${proxy.address().port}`; resolve(); });
});
const metered = async (fn) => { const a = { ...meter }; const r = await timed(fn); return { ...r, up: meter.up - a.up, down: meter.down - a.down }; };
const bbTar = path.join(mnt, 'busybox.tar');
const ctxOf = (c, tag) => { const d = path.join(mnt, `ctx-${c}-${tag}`); fs.rmSync(d, { recursive: true, force: true }); execFileSync('cp', ['-a', path.join(mnt, `tpl-${c}`), d]); return d; };

// ---- strata: a runner is a state root with busybox loaded.
let runnerN = 0;
const strataRunner = async () => {
  const root = path.join(mnt, `strata-runner-${++runnerN}`);
  await run(bin, ['load', '-i', bbTar], { ...process.env, STRATA_ROOT: root });
  return root;
};
const strataBuild = async (root, ctx, extra, env = {}) => {
  const meta = path.join(mnt, `meta-${Date.now()}.json`);
  const r = await metered(() => run(bin, ['build', '--progress', 'plain', '--metadata-file', meta, ...extra, ctx], { ...process.env, STRATA_ROOT: root, ...env }));
  const m = JSON.parse(fs.readFileSync(meta, 'utf8'))['strata.cache'];
  fs.rmSync(meta);
  return { ...r, meta: m };
};
async function strataCase(c, transport, spec, env) {
  const A = await strataRunner();
  const ctxA = ctxOf(c, 'a');
  const cold = await strataBuild(A, ctxA, []);
  const cached = await strataBuild(A, ctxA, []);
  const exp = await strataBuild(A, ctxA, ['--cache-to', `${spec},mode=max`], env);
  const ex = exp.meta.remote.exported[0];
  if (!ex) {
    const why = exp.out.split('\n').filter((l) => l.startsWith('WARNING')).join(' ');
    throw new Error(`strata ${transport}: export failed: ${why}${transport === 'sftp' ? `; sshd says: ${sshd.log().trim().split('\n').slice(-4).join(' / ')}` : ''}`);
  }
  const B = await strataRunner();
  const imp = await strataBuild(B, ctxOf(c, 'b'), ['--cache-from', spec], env);
  // A one-file change on runner A, exported again: only the changed steps' blobs should travel.
  const ctxChanged = ctxOf(c, 'a3');
  cases[c].change(ctxChanged);
  const again = await strataBuild(A, ctxChanged, ['--cache-to', `${spec},mode=max`], env);
  for (const r of [A, B]) fs.rmSync(r, { recursive: true, force: true });
  const viaRegistry = transport === 'registry';
  const ag = again.meta.remote.exported[0];
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  // The second export may send blobs of the steps that ran again only (a step whose layer came out
  // byte-identical sends nothing): more blobs than re-run steps would be a leak.
  const leak = ag.blobsUploaded > again.meta.ran ? ' MORE THAN THE CHANGED STEPS' : '';
  const imported = imp.meta.remote.imported;
  return {
    cold: cold.s, export: Math.max(0, exp.s - cached.s), import: imp.s,
    up: viaRegistry ? exp.up : ex.bytesUploaded, down: viaRegistry ? imp.down : imported.bytesDownloaded,
    up2: viaRegistry ? again.up : ag.bytesUploaded,
    note: `export 1: ${ex.entriesWritten} entries, ${ex.blobsUploaded} blobs (${ex.blobsInline} inside entries), ${kb(viaRegistry ? exp.up : ex.bytesUploaded)} sent; `
      + `import: ${imp.meta.cached} cached/${imp.meta.ran} run, ${imported.probes} probes, ${imported.bundlesRead} bundle(s), ${kb(viaRegistry ? imp.down : imported.bytesDownloaded)} received; `
      + `export 2 after a one-file change: ${again.meta.ran} steps re-ran, ${ag.entriesWritten} entries and ${ag.blobsUploaded} blobs sent, ${kb(viaRegistry ? again.up : ag.bytesUploaded)}${leak}`,
  };
}

// ---- peers, through the same registry
const bhFlags = (n) => ['--root', path.join(mnt, `buildah-${n}`), '--runroot', path.join(mnt, `buildah-run-${n}`), '--storage-driver', 'overlay'];
let bhN = 0;
const bhRunner = async () => { const n = ++bhN; await run('/usr/bin/buildah', [...bhFlags(n), 'pull', '-q', `docker-archive:${bbTar}`]); return n; };
const bhDone = (n) => {
  spawnSync('/usr/bin/buildah', [...bhFlags(n), 'rm', '-a']);
  for (const m of [...mountsUnder(path.join(mnt, `buildah-${n}`)), ...mountsUnder(path.join(mnt, `buildah-run-${n}`))]) spawnSync('umount', ['-l', m]);
  fs.rmSync(path.join(mnt, `buildah-${n}`), { recursive: true, force: true });
  fs.rmSync(path.join(mnt, `buildah-run-${n}`), { recursive: true, force: true });
};
const bhBuild = (n, ctx, extra) => run('/usr/bin/buildah', [...bhFlags(n), 'bud', '--layers', '--runtime=/usr/sbin/runc', '--isolation=oci', '--network=none', '--tls-verify=false', ...extra, '-t', 'bench', ctx]);
async function buildahCase(c, round) {
  const cache = `${regHost}/buildah/${c}-r${round}`;
  const a = await bhRunner();
  const cold = await timed(() => bhBuild(a, ctxOf(c, 'ha'), []));
  const a2 = await bhRunner();
  const ce = await metered(() => bhBuild(a2, ctxOf(c, 'ha2'), ['--cache-to', cache]));
  const b = await bhRunner();
  const imp = await metered(() => bhBuild(b, ctxOf(c, 'hb'), ['--cache-from', cache]));
  const usedCache = (imp.out.match(/Using cache/g) ?? []).length;
  for (const n of [a, a2, b]) bhDone(n);
  // buildah exports inside the build: its export is (cold build with --cache-to) − (cold build), taken over
  // the rounds' medians below, and only trusted when larger than the spread of its cold builds.
  return { cold: cold.s, coldExport: ce.s, export: NaN, import: imp.s, up: ce.up, down: imp.down, note: `import: ${usedCache} "Using cache"` };
}
async function dockerCase(c, round) {
  const ref = `${regHost}/docker/${c}-r${round}:latest`;
  const reset = async () => { spawnSync('/usr/bin/docker', ['rmi', '-f', ref, 'bench'], { env: dockerd.env }); await run('/usr/bin/docker', ['builder', 'prune', '-af'], dockerd.env); };
  const build = (ctx, extra) => run('/usr/bin/docker', ['build', '--network=none', '--progress=plain', ...extra, ctx], dockerd.env);
  await reset();
  const cold = await timed(() => build(ctxOf(c, 'da'), ['--build-arg', 'BUILDKIT_INLINE_CACHE=1', '-t', ref]));
  const push = await metered(() => run('/usr/bin/docker', ['push', ref], dockerd.env));
  await reset();
  const imp = await metered(() => build(ctxOf(c, 'db'), ['--cache-from', ref, '-t', 'bench']));
  const usedCache = (imp.out.match(/ CACHED/g) ?? []).length;
  await reset();
  return { cold: cold.s, export: push.s, import: imp.s, up: push.up, down: imp.down, note: `import: ${usedCache} CACHED` };
}

const results = {}; // results[case][contender] = { cold, coldExport, import, up, down, note }
try {
  const seed = path.join(mnt, 'seed');
  await run('bash', [path.join(repo, 'fixtures', 'make-busybox.sh'), seed]);
  await run(bin, ['save', '-o', bbTar, '--format', 'docker', 'busybox:latest'], { ...process.env, STRATA_ROOT: seed });
  fs.rmSync(seed, { recursive: true, force: true });
  reg = await startRegistry();
  await startProxy();
  sshd = await startSshd();
  if (PEERS.includes('docker')) {
    dockerd = await startDockerd({ base: mnt });
    await run('/usr/bin/docker', ['load', '-i', bbTar], dockerd.env);
  }
  console.log(`cache benchmark: ${ROUNDS} round(s), cases ${CASES.join('')}, peers ${PEERS.join(', ') || 'none'}, data on tmpfs at ${mnt}`);
  for (const c of CASES) {
    cases[c].make(path.join(mnt, `tpl-${c}`));
    results[c] = {};
    const contenders = {
      'strata-registry': (round) => strataCase(c, 'registry', `type=registry,ref=${regHost}/strata/${c}-r${round}`),
      'strata-sftp': (round) => strataCase(c, 'sftp', `type=sftp,url=sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.dataDir}/${c}-r${round},key=${sshd.clientKey},known_hosts=${sshd.knownHosts}`),
      ...(PEERS.includes('buildah') ? { buildah: (round) => buildahCase(c, round) } : {}),
      ...(PEERS.includes('docker') ? { docker: (round) => dockerCase(c, round) } : {}),
    };
    for (const [name, fn] of Object.entries(contenders)) {
      try {
        const rounds = [];
        for (let round = 1; round <= ROUNDS; round++) rounds.push(await fn(round));
        const med = (k) => { const xs = rounds.map((x) => x[k]).sort((a, b) => a - b); return xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2; };
        results[c][name] = { cold: med('cold'), export: med('export'), import: med('import'), up: med('up'), down: med('down'), up2: rounds[0].up2 === undefined ? undefined : med('up2'), note: rounds[0].note };
        const r = results[c][name];
        if (rounds[0].coldExport !== undefined) {
          const colds = rounds.map((x) => x.cold);
          r.export = med('coldExport') - r.cold;
          r.noise = Math.max(...colds) - Math.min(...colds);
          r.unmeasured = r.export <= r.noise;
        }
        const ex = `${r.export.toFixed(2)} s${r.unmeasured ? ` (within the cold builds' spread of ${r.noise.toFixed(2)} s: not measurable)` : ''}`;
        console.log(`  ${c} ${name.padEnd(16)} cold ${r.cold.toFixed(2)} s, export ${ex}, import+build ${r.import.toFixed(2)} s  (${r.note})`);
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
const mb = (b) => (b === undefined ? '    -' : (b / 1048576).toFixed(2).padStart(6));
const f = (x) => (x === undefined || Number.isNaN(x) ? '    -' : x.toFixed(2).padStart(6));
console.log(`\nmedian seconds and MB moved over ${ROUNDS} round(s) (registry bytes: counted by the proxy; MB up 2nd: strata's export after a one-file change); ratio = strata-registry / the faster peer; * = not measurable`);
console.log('case contender          cold  export  import   MB up MB down  MB up 2nd');
const misses = [];
for (const [c, byName] of Object.entries(results)) {
  for (const [name, r] of Object.entries(byName)) {
    console.log(`${c}    ${name.padEnd(16)} ${f(r.cold)}  ${f(r.export)}${r.unmeasured ? '*' : ' '} ${f(r.import)}  ${mb(r.up)}  ${mb(r.down)}  ${mb(r.up2)}`);
  }
  const s = byName['strata-registry'];
  const peers = Object.entries(byName).filter(([n]) => !n.startsWith('strata'));
  if (!s || peers.length === 0) continue;
  const fastest = (k) => peers.map(([n, r]) => [n, k(r)]).sort((x, y) => x[1] - y[1])[0];
  // A peer whose export cannot be told apart from its build's noise is no yardstick for export.
  const exPeers = peers.filter(([, r]) => !r.unmeasured);
  const [pe, exPeer] = exPeers.length ? exPeers.map(([n, r]) => [n, Math.max(0.01, r.export)]).sort((x, y) => x[1] - y[1])[0] : ['none', NaN];
  const [pi, impPeer] = fastest((r) => r.import);
  const exRatio = s.export / exPeer;
  const impRatio = s.import / impPeer;
  console.log(`${c}    ratios: export ${exRatio.toFixed(2)}x ${pe} (target ≤0.5) ${exRatio <= 0.5 ? 'ok' : 'MISS'}; import+build ${impRatio.toFixed(2)}x ${pi} (target ≤0.5) ${impRatio <= 0.5 ? 'ok' : 'MISS'}`);
  if (exRatio > 0.5) misses.push(`${c} export ${exRatio.toFixed(2)}x`);
  if (impRatio > 0.5) misses.push(`${c} import ${impRatio.toFixed(2)}x`);
}
console.log(Object.keys(results).length === 0 ? 'no results' : misses.length ? `targets missed: ${misses.join('; ')}` : 'all targets met');
