// Times `strata analyze` and `strata diff` on the generated images against the floor of reading the same
// layers (`cat blobs | gzip -dc | tar -t`), interleaved, in one run. Prints seconds (median wall), CPU
// seconds, peak memory and the ratio to the floor; exits 1 when a target is missed (1.5x, 300 MB).
// Usage: node benchmarks/inspect/bench.mjs DIR [RUNS]   (DIR as made by gen.mjs)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [dir, runsArg = '3'] = process.argv.slice(2);
if (!dir) throw new Error('usage: bench.mjs DIR [RUNS]');
const runs = Number(runsArg);
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'cli', 'dist', 'src', 'bin.js');
const blobs = (tag) => readFileSync(path.join(dir, `${tag}.blobs`), 'utf8').trim().split('\n');
const v1 = blobs('v1');
const both = [...new Set([...v1, ...blobs('v2')])];
const q = (xs) => xs.map((x) => `'${x}'`).join(' ');

const contenders = {
  'floor analyze': `cat ${q(v1)} | gzip -dc | tar -ti > /dev/null`,
  'strata analyze': `'${process.execPath}' '${bin}' analyze --json 'oci:${dir}:v1' > /dev/null`,
  'floor diff': `cat ${q(both)} | gzip -dc | tar -ti > /dev/null`,
  'strata diff': `'${process.execPath}' '${bin}' diff --json 'oci:${dir}:v1' 'oci:${dir}:v2' > /dev/null`,
};

function once(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'bash', '-o', 'pipefail', '-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [wall, user, sys, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, mb: kb / 1024 };
}

const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let i = 0; i < runs; i++) for (const [k, cmd] of Object.entries(contenders)) results[k].push(once(cmd));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (k) => ({ wall: median(results[k].map((r) => r.wall)), cpu: median(results[k].map((r) => r.cpu)), mb: Math.max(...results[k].map((r) => r.mb)) });

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`image: ${v1.length} layers, ${dir}; ${runs} runs each, interleaved; load average ${load}`);
console.log('contender         wall s   cpu s   peak MB   ratio (wall)');
let ok = true;
for (const op of ['analyze', 'diff']) {
  const f = row(`floor ${op}`), s = row(`strata ${op}`);
  const ratio = s.wall / f.wall;
  console.log(`floor ${op.padEnd(9)} ${f.wall.toFixed(2).padStart(8)} ${f.cpu.toFixed(2).padStart(7)} ${f.mb.toFixed(0).padStart(9)}`);
  console.log(`strata ${op.padEnd(8)} ${s.wall.toFixed(2).padStart(8)} ${s.cpu.toFixed(2).padStart(7)} ${s.mb.toFixed(0).padStart(9)}   ${ratio.toFixed(2)}x`);
  if (ratio > 1.5) { ok = false; console.log(`  MISSED: strata ${op} is ${ratio.toFixed(2)}x the floor (target 1.5x)`); }
  if (s.mb > 300) { ok = false; console.log(`  MISSED: strata ${op} peaked at ${s.mb.toFixed(0)} MB (target 300 MB)`); }
}
process.exit(ok ? 0 : 1);
