import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildImage, LocalStore, storeLayerTar, writeLayerTar } from '@strata/oci';
import { makeBusybox, repoRoot } from './busybox.js';

const bin = path.join(repoRoot(), 'packages', 'cli', 'dist', 'src', 'bin.js');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Manifest { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> }

/** Broken inputs: one line naming what failed, exit 1, and the store exactly as before. */
describe('oci bad input', function () {
  this.timeout(120000);
  let root: string;
  let work: string;
  let layout: string;
  let manifest: Manifest;
  let manifestHex: string;
  const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root } });

  function storeState(): string {
    const blobs = readdirSync(path.join(root, 'blobs', 'sha256')).sort().join(',');
    const tmp = readdirSync(path.join(root, 'tmp')).join(',');
    return `${blobs}|tmp:${tmp}|${strata('images', '--format', 'json').stdout}`;
  }
  /** Runs strata, expecting one clean error line matching `re` and no change to the store. */
  function fails(args: string[], re: RegExp): void {
    const before = storeState();
    const r = strata(...args);
    assert.equal(r.status, 1, `exit ${r.status}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `more than one line: ${r.stderr}`);
    assert.match(lines[0]!, /^strata: /);
    assert.match(lines[0]!, re);
    if (process.env.STRATA_SHOW_ERRORS) console.log(lines[0]);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(storeState(), before);
  }
  function copyLayout(): string {
    const d = mkdtempSync(path.join(work, 'l-'));
    cpSync(layout, d, { recursive: true });
    return d;
  }
  const blob = (dir: string, hex: string) => path.join(dir, 'blobs', 'sha256', hex);

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-bad-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'strata-bad-work-'));
    makeBusybox(root);
    // The store holds busybox; loads below bring a different image (bb2 with another config) so that a
    // failure would have new blobs to leave behind.
    const r = strata('save', '--format', 'oci-dir', '-o', path.join(work, 'src'), 'busybox');
    assert.equal(r.status, 0, r.stderr);
    const other = mkdtempSync(path.join(os.tmpdir(), 'strata-bad-other-'));
    try {
      const env = { ...process.env, STRATA_ROOT: other };
      makeBusybox(other);
      const st = new LocalStore(other);
      try {
        const data = Buffer.alloc(300000, 'layer two ');
        const l = await storeLayerTar(st.content, writeLayerTar([
          { path: 'data', type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: 0n, open: () => Readable.from([data]) },
        ]));
        await st.save(await buildImage({ base: await st.image('busybox'), layers: [{ layer: l.layer }] }), ['bb2:latest']);
      } finally {
        st.close();
      }
      layout = path.join(work, 'layout');
      const s = spawnSync(process.execPath, [bin, 'save', '--format', 'oci-dir', '-o', layout, 'bb2'], { env, encoding: 'utf8' });
      assert.equal(s.status, 0, s.stderr);
      const s2 = spawnSync(process.execPath, [bin, 'save', '-o', path.join(work, 'bb2.tar'), 'bb2'], { env, encoding: 'utf8' });
      assert.equal(s2.status, 0, s2.stderr);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    manifestHex = index.manifests[0]!.digest.slice(7);
    manifest = JSON.parse(readFileSync(blob(layout, manifestHex), 'utf8')) as Manifest;
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('the good layout loads (control)', () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'strata-bad-ctl-'));
    try {
      const r = spawnSync(process.execPath, [bin, 'load', '-i', layout], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: fresh } });
      assert.equal(r.status, 0, r.stderr);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('a truncated layer blob', () => {
    const d = copyLayout();
    const l = manifest.layers[1]!.digest.slice(7);
    truncateSync(blob(d, l), 1000);
    fails(['load', '-i', d], new RegExp(`${l}.*(size|bytes)`));
  });

  it('a corrupted layer blob of the right size', () => {
    const d = copyLayout();
    const l = manifest.layers[1]!.digest.slice(7);
    const b = readFileSync(blob(d, l));
    b.fill(0x42, 100, 200);
    writeFileSync(blob(d, l), b);
    fails(['load', '-i', d], /hashes to sha256:/);
  });

  it('a config blob whose bytes do not match its digest', () => {
    const d = copyLayout();
    writeFileSync(blob(d, manifest.config.digest.slice(7)), '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    fails(['load', '-i', d], /config.*hashes to/);
  });

  it('a manifest naming a missing blob', () => {
    const d = copyLayout();
    unlinkSync(blob(d, manifest.layers[1]!.digest.slice(7)));
    fails(['load', '-i', d], /blob sha256:[a-f0-9]{64} not found in /);
  });

  it('a manifest with a malformed digest field', () => {
    const d = copyLayout();
    const m = JSON.parse(readFileSync(blob(d, manifestHex), 'utf8')) as Manifest;
    m.layers[1]!.digest = 'sha256:nothex';
    const raw = Buffer.from(JSON.stringify(m));
    writeFileSync(blob(d, sha(raw)), raw);
    writeFileSync(path.join(d, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(raw)}`, size: raw.length, annotations: { 'org.opencontainers.image.ref.name': 'bad:1' } }] }));
    fails(['load', '-i', d], /layers\[1\]\.digest: invalid digest/);
  });

  it('malformed index.json', () => {
    const d = copyLayout();
    writeFileSync(path.join(d, 'index.json'), '{"schemaVersion": 2, "manifests": [');
    fails(['load', '-i', d], /index\.json: malformed JSON/);
  });

  it('a malformed manifest blob', () => {
    const d = copyLayout();
    const raw = Buffer.from('{"schemaVersion": 2, "config": ');
    writeFileSync(blob(d, sha(raw)), raw);
    writeFileSync(path.join(d, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(raw)}`, size: raw.length, annotations: { 'org.opencontainers.image.ref.name': 'bad:1' } }] }));
    fails(['load', '-i', d], /manifest: malformed JSON/);
  });

  it('a docker-archive missing a layer file', () => {
    const f = path.join(work, 'missing.tar');
    cpSync(path.join(work, 'bb2.tar'), f);
    const m = JSON.parse(spawnSync('tar', ['-xOf', f, 'manifest.json'], { encoding: 'utf8' }).stdout) as Array<{ Layers: string[] }>;
    const r = spawnSync('tar', ['--delete', '-f', f, m[0]!.Layers[1]!], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    fails(['load', '-i', f], /missing\.tar: archive has no blob sha256:/);
  });

  it('a truncated docker-archive', () => {
    const f = path.join(work, 'trunc.tar');
    cpSync(path.join(work, 'bb2.tar'), f);
    truncateSync(f, Math.floor(statSync(f).size / 2));
    fails(['load', '-i', f], /truncated archive/);
  });

  it('a file that is no archive, and one that does not exist', () => {
    const f = path.join(work, 'junk.tar');
    writeFileSync(f, 'this is not a tar file at all'.repeat(100));
    fails(['load', '-i', f], /junk\.tar: not a tar archive$/);
    fails(['load', '-i', path.join(work, 'nope.tar')], /nope\.tar: no such file/);
  });

  it('import of a truncated gzip rootfs', () => {
    const f = path.join(work, 'rootfs.tar.gz');
    const tar = spawnSync('tar', ['-czf', '-', '-C', repoRoot(), 'fixtures'], { maxBuffer: 1 << 26 }).stdout;
    writeFileSync(f, tar.subarray(0, tar.length >> 1));
    fails(['import', f, 'broken:1'], /rootfs\.tar\.gz/);
  });

  it('fsck finds a corrupted blob and exits 1', () => {
    const before = strata('fsck');
    assert.equal(before.status, 0, before.stdout);
    const blobs = readdirSync(path.join(root, 'blobs', 'sha256'));
    const victim = path.join(root, 'blobs', 'sha256', blobs[0]!);
    const saved = readFileSync(victim);
    writeFileSync(victim, Buffer.concat([saved, Buffer.from('x')]));
    try {
      const r = strata('fsck');
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`sha256:${blobs[0]}: content hashes to`));
      assert.match(r.stdout, /checked, [12] problems?\n$/);
    } finally {
      writeFileSync(victim, saved);
    }
  });
});
