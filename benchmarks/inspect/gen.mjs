// Generates the benchmark images into an OCI layout: v1 = 10 layers, ~100,000 files, ~1 GB uncompressed;
// v2 = v1 with its last two layers rebuilt (new content, some paths moved), for `strata diff`.
// Usage: node benchmarks/inspect/gen.mjs DIR [FILES] [LAYERS]   (DIR should be on a tmpfs)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { comparePaths, writeLayerTar } from '@strata/oci';

const [dir, filesArg = '100000', layersArg = '10'] = process.argv.slice(2);
if (!dir) throw new Error('usage: gen.mjs DIR [FILES] [LAYERS]');
const FILES = Number(filesArg), LAYERS = Number(layersArg);
const T = 1_700_000_000n * 1_000_000_000n;

// A corpus half random, half text-like, so gzip has real work (about 2:1) and content is cheap to make.
function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296);
}
const CORPUS = (() => {
  const n = 16 << 20;
  const b = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n / 2; off += 32, i++) createHash('sha256').update(`c${i}`).digest().copy(b, off);
  const words = 'the quick brown fox jumps over a lazy dog while strata reads layers of images and hashes content '.split(' ');
  const r = prng(7);
  let off = n / 2;
  while (off < n) off += b.write(words[Math.floor(r() * words.length)] + (r() < 0.1 ? '\n' : ' '), off);
  return b;
})();

function sizeOf(r) {
  const x = r();
  if (x < 0.7) return 1024 + Math.floor(r() * 3072);
  if (x < 0.99) return 10240 + Math.floor(r() * 30720);
  return 256 * 1024;
}

/** Entries of layer `i` (seeded by `seed`): new files, some overwrites and deletions of earlier layers' paths. */
function layerEntries(i, seed, perLayer) {
  const r = prng(seed * 7919 + i + 1);
  const entries = new Map();
  const dirs = new Set();
  const add = (p, e) => {
    entries.set(p, e);
    for (let j = p.indexOf('/'); j >= 0; j = p.indexOf('/', j + 1)) dirs.add(p.slice(0, j));
  };
  for (let n = 0; n < perLayer; n++) {
    let p = `usr/lib/pkg${Math.floor(r() * 200)}/d${Math.floor(r() * 20)}/f${i}_${n}_${seed}`;
    if (i > 0 && r() < 0.05) { // overwrite a file an earlier layer wrote
      const li = Math.floor(r() * i), ln = Math.floor(r() * perLayer);
      const rr = prng(1 * 7919 + li + 1);
      // re-derive the earlier path deterministically is costly; overwrite by a well-known name instead
      p = `usr/share/common/c${li}_${ln % 500}`;
    }
    const size = sizeOf(r);
    const off = Math.floor(r() * (CORPUS.length - size));
    const data = CORPUS.subarray(off, off + size);
    add(p, { path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtimeNs: T + BigInt(i), open: () => Readable.from([data]) });
  }
  // every layer also writes the well-known names the later ones overwrite
  for (let n = 0; n < 500; n++) {
    const p = `usr/share/common/c${i}_${n}`;
    const data = CORPUS.subarray(n * 1000, n * 1000 + 2000);
    add(p, { path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: T, open: () => Readable.from([data]) });
  }
  if (i > 0) for (let n = 0; n < 50; n++) add(`usr/share/common/c${i - 1}_${n + 500}`, { path: `usr/share/common/c${i - 1}_${n + 500}`, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n });
  for (const d of dirs) if (!entries.has(d)) entries.set(d, { path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: T });
  return [...entries.values()].sort((a, b) => comparePaths(a.path, b.path));
}

const sha = (file) => {
  const r = spawnSync('sha256sum', [file], { encoding: 'utf8' });
  return 'sha256:' + r.stdout.split(' ')[0];
};

mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
const blob = (file) => {
  const d = sha(file);
  renameSync(file, path.join(dir, 'blobs', 'sha256', d.slice(7)));
  return d;
};
const perLayer = Math.round(FILES / LAYERS) - 500 - 60;
const layersOf = new Map();
async function layer(i, seed) {
  const key = `${i}:${seed}`;
  if (layersOf.has(key)) return layersOf.get(key);
  const tar = path.join(dir, `l${key.replace(':', '_')}.tar`);
  await pipeline(writeLayerTar(layerEntries(i, seed, perLayer)), createWriteStream(tar));
  const diffId = sha(tar);
  const z = spawnSync('pigz', ['-6', '-k', tar]);
  if (z.status !== 0) throw new Error('pigz failed');
  rmSync(tar);
  const gz = tar + '.gz';
  const size = Number(spawnSync('stat', ['-c', '%s', gz], { encoding: 'utf8' }).stdout);
  const out = { diffId, digest: blob(gz), size };
  layersOf.set(key, out);
  return out;
}

const manifests = [];
for (const [tag, seeds] of [['v1', Array(LAYERS).fill(1)], ['v2', [...Array(LAYERS - 2).fill(1), 2, 2]]]) {
  const ls = [];
  for (let i = 0; i < LAYERS; i++) ls.push(await layer(i, seeds[i]));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ls.map((l) => l.diffId) },
    history: ls.map((_, i) => ({ created_by: `RUN make layer ${i}` })),
  }));
  writeFileSync(path.join(dir, 'c.json'), config);
  const configDigest = blob(path.join(dir, 'c.json'));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: ls.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  }));
  writeFileSync(path.join(dir, 'm.json'), manifest);
  const md = blob(path.join(dir, 'm.json'));
  manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(path.join(dir, `${tag}.blobs`), ls.map((l) => path.join(dir, 'blobs', 'sha256', l.digest.slice(7))).join('\n') + '\n');
}
writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
console.log(`generated ${LAYERS} layers x ${perLayer + 560} entries per image in ${dir}`);
void readFileSync;
