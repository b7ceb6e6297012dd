// Layer write throughput: strata (tar + parallel gzip, tar + zstd) against tar|gzip -6, tar|pigz -6 and
// tar|zstd -3 on the same ~200 MB tree of mixed files, in one run. Run through compress.sh (fresh tmpfs).
//   node benchmarks/oci/compress.mjs DIR [SIZE_MB] [ROUNDS]
//   node benchmarks/oci/compress.mjs --one gzip|zstd TREE OUT     (one strata contender, used internally)
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, statSync, writeFileSync, symlinkSync, linkSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const oci = path.join(here, '..', '..', 'packages', 'oci', 'dist', 'src', 'index.js');

if (process.argv[2] === '--one') {
  const { writeLayerTar, treeEntries, compress } = await import(oci);
  const [, , , kind, tree, out] = process.argv;
  await pipeline(compress(writeLayerTar(treeEntries(tree)), kind), createWriteStream(out));
  process.exit(0);
}

/** Seeded xorshift so every run sees the same tree. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}
const words = 'the quick brown fox jumps over lazy dog lorem ipsum dolor sit amet const let function return if else for while import export from class extends new this null undefined true false'.split(' ');

/** ~SIZE MB: source-like text (compressible), JSON, random binaries, a few big files, many small ones. */
function makeTree(dir, sizeMb) {
  const r = rng(42);
  const target = sizeMb * 1024 * 1024;
  let total = 0;
  let n = 0;
  while (total < target) {
    const d = path.join(dir, `d${Math.floor(r() * 40)}`, `s${Math.floor(r() * 8)}`);
    mkdirSync(d, { recursive: true });
    const kind = r();
    let buf;
    if (kind < 0.55) {
      const len = 500 + Math.floor(r() * 40000);
      let s = '';
      while (s.length < len) s += words[Math.floor(r() * words.length)] + (r() < 0.1 ? '\n' : ' ');
      buf = Buffer.from(s);
    } else if (kind < 0.78) {
      const o = [];
      for (let i = 0; i < 50 + r() * 2000; i++) o.push({ id: i, name: words[Math.floor(r() * words.length)], v: Math.floor(r() * 1e6) });
      buf = Buffer.from(JSON.stringify(o, null, 2));
    } else if (kind < 0.995) {
      buf = Buffer.alloc(200 + Math.floor(r() * 60000));
      for (let i = 0; i + 4 <= buf.length; i += 4) buf.writeUInt32LE(Math.floor(r() * 2 ** 32), i);
      // half of the binaries are "executables": random with repeated runs
      if (r() < 0.5) for (let i = 0; i < buf.length; i += 64) buf.fill(buf[i], i, Math.min(buf.length, i + 24));
    } else {
      buf = Buffer.alloc(4 * 1024 * 1024 + Math.floor(r() * 4 * 1024 * 1024));
      for (let i = 0; i + 4 <= buf.length; i += 4) buf.writeUInt32LE(r() < 0.7 ? 0x20202020 + (i & 0xff) : Math.floor(r() * 2 ** 32), i);
    }
    const f = path.join(d, `f${n++}.${kind < 0.55 ? 'js' : kind < 0.78 ? 'json' : 'bin'}`);
    writeFileSync(f, buf);
    total += buf.length;
    if (n % 300 === 0) symlinkSync(path.basename(f), `${f}.link`);
    if (n % 700 === 0) linkSync(f, `${f}.hard`);
  }
  return { files: n, bytes: total };
}

/** Runs a shell pipeline under /usr/bin/time: wall seconds and CPU seconds (user + sys, children included). */
function sh(cmd) {
  const tf = path.join(dir, 'time.out');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', tf, 'bash', '-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  const [e, u, s] = readFileSync(tf, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { wall: e, cpu: u + s };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const [dir, sizeArg, roundsArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: compress.mjs DIR [SIZE_MB] [ROUNDS]');
  process.exit(2);
}
const sizeMb = Number(sizeArg ?? 200);
const rounds = Number(roundsArg ?? 3);
const tree = path.join(dir, 'tree');
mkdirSync(tree, { recursive: true });
const made = makeTree(tree, sizeMb);
const tarBytes = Number(execFileSync('bash', ['-c', `tar -C ${tree} -cf - . | wc -c`]).toString().trim());
console.log(`tree: ${made.files} files, ${(made.bytes / 1e6).toFixed(1)} MB of content, tar ${(tarBytes / 1e6).toFixed(1)} MB; ${rounds} rounds, median; CPUs: ${execFileSync('nproc').toString().trim()}`);

const out = (name) => path.join(dir, `out-${name}`);
const contenders = {
  'strata gzip': () => sh(`node ${fileURLToPath(import.meta.url)} --one gzip ${tree} ${out('sg')}`),
  'tar | gzip -6': () => sh(`tar -C ${tree} -cf - . | gzip -6 > ${out('gz')}`),
  'tar | pigz -6': () => sh(`tar -C ${tree} -cf - . | pigz -6 > ${out('pigz')}`),
  'strata zstd': () => sh(`node ${fileURLToPath(import.meta.url)} --one zstd ${tree} ${out('sz')}`),
  'tar | zstd -3': () => sh(`tar -C ${tree} -cf - . | zstd -q -3 > ${out('zstd')}`),
};
const files = { 'strata gzip': 'sg', 'tar | gzip -6': 'gz', 'tar | pigz -6': 'pigz', 'strata zstd': 'sz', 'tar | zstd -3': 'zstd' };
const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
const cpus = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
// Interleaved rounds, so a burst of load elsewhere on the machine hits every contender alike.
for (let i = 0; i < rounds; i++) {
  for (const [k, fn] of Object.entries(contenders)) {
    const t = fn();
    times[k].push(t.wall);
    cpus[k].push(t.cpu);
  }
}

// Correctness before speed: strata's outputs must decompress to a tar listing the same names.
const names = (cmd) => execFileSync('bash', ['-c', `${cmd} | tar -tf - | sed 's|^\\./||' | grep -v '^$' | sed 's|/$||' | sort`], { maxBuffer: 1 << 28 }).toString();
const want = names(`tar -C ${tree} -cf - .`);
if (names(`gzip -dc ${out('sg')}`) !== want) throw new Error('strata gzip output lists different files');
if (names(`zstd -dc ${out('sz')}`) !== want) throw new Error('strata zstd output lists different files');

const res = {};
console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('\ncontender        MB/s   ratio(out/in)   wall(s)   cpu(s)   MB per cpu-s');
for (const k of Object.keys(contenders)) {
  const t = median(times[k]);
  const size = statSync(out(files[k])).size;
  res[k] = tarBytes / 1e6 / t;
  const cpu = median(cpus[k]);
  console.log(`${k.padEnd(15)} ${res[k].toFixed(1).padStart(6)}   ${(size / tarBytes).toFixed(4).padStart(12)}   ${t.toFixed(2).padStart(7)}   ${cpu.toFixed(2).padStart(6)}   ${(tarBytes / 1e6 / cpu).toFixed(1).padStart(8)}`);
}
const g = res['strata gzip'] / res['tar | gzip -6'];
console.log(`\nstrata gzip / tar|gzip -6: ${g.toFixed(2)}x (target >= 1.5x)`);
console.log(`strata gzip / tar|pigz -6: ${(res['strata gzip'] / res['tar | pigz -6']).toFixed(2)}x`);
console.log(`strata zstd / tar|zstd -3: ${(res['strata zstd'] / res['tar | zstd -3']).toFixed(2)}x`);
process.exit(g >= 1.5 ? 0 : 1);
