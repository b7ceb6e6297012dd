// Benchmark body; run it through push-pull.sh (which makes the tmpfs). Prints MB/s per contender and the
// strata/skopeo ratios (>1 means strata is faster). Target: strata no slower than skopeo both ways.
import { execFileSync, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, rmSync, linkSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { ContentStore, StoreImage, MediaType } from '@strata/oci';
import { pull, push } from '@strata/registry';
import { startRegistry } from '../../test/dist/support/registry-server.js';

const run = promisify(execFile);
const sizeMb = Number(process.argv[2] ?? 200);
const runs = Number(process.argv[3] ?? 5);
const work = path.join(os.tmpdir(), 'pushpull');
mkdirSync(work, { recursive: true });
const sha = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');

// A mixed tree per layer (half random, a quarter text-like, a quarter zeros), tarred and gzipped by GNU tar +
// pigz; the raw size is 1.45x the target so that the compressed image is about SIZE_MB.
async function makeImage(store) {
  const layerCount = 4;
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < layerCount; i++) {
    const dir = path.join(work, `tree${i}`);
    mkdirSync(dir, { recursive: true });
    let bytes = 0;
    for (let f = 0; bytes < (1.45 * (sizeMb << 20)) / layerCount; f++) {
      const n = 4096 + ((f * 7919) % (1 << 20));
      const kind = f % 4;
      const data = kind <= 1 ? randomBytes(n) : kind === 2 ? Buffer.from(randomBytes(n / 2).toString('base64')).subarray(0, n) : Buffer.alloc(n);
      writeFileSync(path.join(dir, `f${f}`), data);
      bytes += n;
    }
    const tgz = path.join(work, `layer${i}.tgz`);
    execFileSync('bash', ['-c', `tar -C ${dir} --sort=name -cf - . | pigz -1 > ${tgz}`]);
    const gz = readFileSync(tgz);
    const info = await store.put(gz);
    layers.push({ mediaType: MediaType.ociLayerGzip, digest: info.digest, size: info.size });
    diffIds.push(sha(gunzipSync(gz)));
    rmSync(dir, { recursive: true });
    rmSync(tgz);
  }
  const config = await store.put(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, layers }));
  const m = await store.put(manifest);
  const total = layers.reduce((a, l) => a + l.size, 0);
  return { desc: { mediaType: MediaType.ociManifest, digest: m.digest, size: m.size }, total };
}

// The same blobs as an OCI layout for skopeo (hard links: no copy, same bytes).
function layoutOf(store, desc, dir, blobs) {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const d of blobs) linkSync(store.pathOf(d), path.join(dir, 'blobs', 'sha256', d.slice(7)));
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [{ ...desc, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
}

// Wall time, and the client's CPU time (user + sys): this process's for strata, the child's for skopeo (bash's
// `time`). CPU seconds do not depend on what else the machine is doing; wall time does.
const cpu = { strataPush: [], skopeoPush: [], strataPull: [], skopeoPull: [] };
async function time(fn, key) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const out = await fn();
  const c = process.cpuUsage(c0);
  cpu[key].push(out?.cpu ?? (c.user + c.system) / 1e6);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function skopeoCopy(src, dst, tlsFlag) {
  const { stderr } = await run('bash', ['-c', 'TIMEFORMAT="%U %S"; time skopeo copy -q "$0" "$1" "$2" >/dev/null', tlsFlag, src, dst]);
  const [u, s] = stderr.trim().split('\n').pop().split(' ').map(Number);
  return { cpu: u + s };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const src = new ContentStore(path.join(work, 'src'));
const { desc, total } = await makeImage(src);
const manifest = JSON.parse((await src.readBuffer(desc.digest)).toString());
layoutOf(src, desc, path.join(work, 'layout'), [desc.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
const mb = total / (1 << 20);
console.log(`image: ${manifest.layers.length} gzip layers, ${mb.toFixed(1)} MB compressed; ${runs} runs each, median shown`);

const results = { strataPush: [], skopeoPush: [], strataPull: [], skopeoPull: [] };
for (let r = 0; r < runs; r++) {
  // A fresh registry per run and per contender: nothing already present for either.
  for (const who of ['strata', 'skopeo']) {
    const reg = await startRegistry();
    try {
      const ref = `${reg.host}/bench/${who}:r${r}`;
      if (who === 'strata') {
        results.strataPush.push(await time(() => push(new StoreImage(src, desc), ref, { insecure: true, dockerConfig: '/nonexistent' }), 'strataPush'));
        const dst = new ContentStore(path.join(work, `pull-strata-${r}`));
        results.strataPull.push(await time(() => pull(ref, { store: dst, insecure: true, dockerConfig: '/nonexistent' }), 'strataPull'));
        rmSync(dst.root, { recursive: true });
      } else {
        results.skopeoPush.push(await time(() => skopeoCopy(`oci:${path.join(work, 'layout')}:bench`, `docker://${ref}`, '--dest-tls-verify=false'), 'skopeoPush'));
        const dst = path.join(work, `pull-skopeo-${r}`);
        results.skopeoPull.push(await time(() => skopeoCopy(`docker://${ref}`, `oci:${dst}:bench`, '--src-tls-verify=false'), 'skopeoPull'));
        rmSync(dst, { recursive: true });
      }
    } finally {
      await reg.stop();
    }
  }
}
const rate = (s) => mb / s;
const line = (name, key) => console.log(`${name.padEnd(12)} ${median(results[key]).toFixed(2).padStart(6)} s  ${rate(median(results[key])).toFixed(0).padStart(5)} MB/s   client CPU ${median(cpu[key]).toFixed(2)} s`);
line('strata push', 'strataPush');
line('skopeo push', 'skopeoPush');
line('strata pull', 'strataPull');
line('skopeo pull', 'skopeoPull');
const ratio = (a, b) => (median(results[b]) / median(results[a])).toFixed(2);
const cpuRatio = (a, b) => (median(cpu[b]) / median(cpu[a])).toFixed(2);
console.log(`push: strata/skopeo throughput ratio ${ratio('strataPush', 'skopeoPush')}x (target >= 1.0); CPU efficiency ${cpuRatio('strataPush', 'skopeoPush')}x`);
console.log(`pull: strata/skopeo throughput ratio ${ratio('strataPull', 'skopeoPull')}x (target >= 1.0); CPU efficiency ${cpuRatio('strataPull', 'skopeoPull')}x`);
console.log(`load average during the run: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
