import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildImage, LocalStore, storeLayerTar, writeLayerTar, type LayerEntry } from '@strata/oci';
import { makeBusybox, repoRoot } from './busybox.js';
import { describeTree } from './tree.js';

const bin = path.join(repoRoot(), 'packages', 'cli', 'dist', 'src', 'bin.js');
const T = 1_700_000_000_000_000_000n;

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed: ${r.stderr}`);
  return r.stdout;
}

function entry(p: string, type: LayerEntry['type'], extra: Partial<LayerEntry> = {}): LayerEntry {
  return { path: p, type, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtimeNs: T, ...extra };
}
function file(p: string, content: string, extra: Partial<LayerEntry> = {}): LayerEntry {
  const b = Buffer.from(content);
  return entry(p, 'file', { size: b.length, open: () => Readable.from([b]), ...extra });
}

/** Real, independent readers and writers of the formats: skopeo, umoci, GNU tar. */
describe('oci interop with skopeo and umoci', function () {
  this.timeout(180000);
  let root: string;
  let work: string;
  const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root } });
  const run = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-interop-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'strata-interop-work-'));
    makeBusybox(root);
    // Two layers over busybox: the second deletes a file, replaces a directory's contents (opaque) and adds
    // odd modes, owners, a hardlink, a symlink, a FIFO and a long name.
    const store = new LocalStore(root);
    try {
      const base = await store.image('busybox');
      const l1 = await storeLayerTar(store.content, writeLayerTar([
        entry('var', 'dir'), entry('var/log', 'dir'), file('var/log/old', 'old log'), file('var/log/old2', 'x'),
      ]));
      const long = 'opt/' + 'd'.repeat(90) + '/' + 'f'.repeat(80);
      const l2 = await storeLayerTar(store.content, writeLayerTar([
        entry('etc', 'dir'), entry('etc/hostname', 'whiteout'), file('etc/motd', 'hello', { mode: 0o600, uid: 1000, gid: 1000 }),
        entry('opt', 'dir', { mode: 0o750, uid: 1, gid: 2 }), file('opt/a', 'shared bytes'), entry('opt/b', 'hardlink', { linkname: 'opt/a' }),
        entry('opt/' + 'd'.repeat(90), 'dir'), file(long, 'long'), entry('opt/fifo', 'fifo', { mode: 0o600 }),
        entry('opt/link', 'symlink', { mode: 0o777, linkname: '../etc/motd' }), file('opt/suid', '#!/bin/sh\n', { mode: 0o4755 }),
        entry('var', 'dir'), entry('var/log', 'dir'), entry('var/log', 'opaque'), file('var/log/new', 'new log'),
      ]));
      const img = await buildImage({ base, layers: [{ layer: l1.layer }, { layer: l2.layer }], config: { created: '2024-05-01T00:00:00Z' } });
      await store.save(img, ['layered:v1']);
    } finally {
      store.close();
    }
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('skopeo inspects and copies the OCI layout strata writes', () => {
    const layout = path.join(work, 'layout');
    ok(strata('save', '--format', 'oci-dir', '-o', layout, 'busybox', 'layered:v1'), 'save');
    const info = JSON.parse(ok(run('skopeo', 'inspect', `oci:${layout}:layered:v1`), 'skopeo inspect')) as { Layers: string[]; Os: string };
    assert.equal(info.Layers.length, 3);
    assert.equal(info.Os, 'linux');
    ok(run('skopeo', 'copy', `oci:${layout}:busybox:latest`, `dir:${path.join(work, 'dircopy')}`), 'skopeo copy');
  });

  for (const format of ['docker', 'docker-legacy', 'oci']) {
    it(`skopeo reads the ${format} archive strata writes`, () => {
      const file = path.join(work, `img-${format}.tar`);
      ok(strata('save', '--format', format, '-o', file, 'layered:v1'), 'save');
      const ref = format === 'oci' ? `oci-archive:${file}:layered:v1` : `docker-archive:${file}`;
      const info = JSON.parse(ok(run('skopeo', 'inspect', ref), 'skopeo inspect')) as { Layers: string[]; RepoTags?: string[] };
      assert.equal(info.Layers.length, 3);
      ok(run('skopeo', 'copy', ref, `oci:${path.join(work, `copy-${format}`)}:x`), 'skopeo copy');
    });
  }

  it('umoci unpack of the layout gives the tree strata export gives', () => {
    const layout = path.join(work, 'layout-umoci');
    ok(strata('save', '--format', 'oci-dir', '-o', layout, 'layered:v1'), 'save');
    const bundle = path.join(work, 'bundle');
    ok(run('umoci', 'unpack', '--image', `${layout}:layered:v1`, bundle), 'umoci unpack');
    const exp = path.join(work, 'export.tar');
    ok(strata('export', 'layered:v1', '-o', exp), 'export');
    const x = path.join(work, 'exported');
    mkdirSync(x);
    ok(run('tar', '--numeric-owner', '-xpf', exp, '-C', x), 'tar -x');
    const ours = describeTree(x);
    const theirs = describeTree(path.join(bundle, 'rootfs'));
    assert.deepEqual(ours, theirs);
    assert.equal(ours['etc/hostname'], undefined);
    assert.equal(ours['var/log/old'], undefined);
    assert.match(ours['var/log/new']!, /^file 644 0:0 7 /);
    assert.match(ours['opt/suid']!, /^file 4755 /);
    assert.match(ours['opt/a']!, /nlink=2$/);
    assert.match(ours['etc/motd']!, /^file 600 1000:1000 /);
    assert.match(ours['opt']!, /^dir 750 1:2$/);
    assert.equal(ours['bin/sh'], 'symlink 777 0:0 -> /bin/busybox');
  });

  it('images skopeo writes load into strata (OCI layout, docker-archive, oci-archive)', () => {
    const layout = path.join(work, 'layout-src');
    ok(strata('save', '--format', 'oci-dir', '-o', layout, 'layered:v1'), 'save');
    ok(run('skopeo', 'copy', `oci:${layout}:layered:v1`, `oci:${path.join(work, 'sk-oci')}:sk1`), 'skopeo copy oci');
    ok(run('skopeo', 'copy', `oci:${layout}:layered:v1`, `docker-archive:${path.join(work, 'sk.tar')}:sk/two:v2`), 'skopeo copy docker-archive');
    ok(run('skopeo', 'copy', `oci:${layout}:layered:v1`, `oci-archive:${path.join(work, 'sk-oci.tar')}:sk3:v3`), 'skopeo copy oci-archive');
    ok(strata('load', '-i', path.join(work, 'sk-oci'), '--tag', 'from-oci:1'), 'load layout');
    assert.match(ok(strata('load', '-i', path.join(work, 'sk.tar')), 'load docker-archive'), /Loaded image: sk\/two:v2/);
    assert.match(ok(strata('load', '-i', path.join(work, 'sk-oci.tar')), 'load oci-archive'), /Loaded image: sk3:v3/);
    const names = ok(strata('images', '--format', 'json'), 'images');
    for (const n of ['from-oci:1', 'sk/two:v2', 'sk3:v3']) assert.ok(names.includes(`"name": "${n}"`), n);
    // The same tree comes out whichever way the image travelled.
    const trees = ['layered:v1', 'sk/two:v2', 'sk3:v3'].map((n, i) => {
      const out = path.join(work, `t${i}.tar`);
      ok(strata('export', n, '-o', out), `export ${n}`);
      const d = path.join(work, `t${i}`);
      mkdirSync(d);
      ok(run('tar', '--numeric-owner', '-xpf', out, '-C', d), 'tar -x');
      return describeTree(d);
    });
    assert.deepEqual(trees[1], trees[0]);
    assert.deepEqual(trees[2], trees[0]);
    ok(strata('fsck'), 'fsck');
  });

  it('a saved archive loads back to the same image digest (oci) and config (docker)', () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'strata-interop-2-'));
    try {
      const other = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: fresh } });
      ok(strata('save', '--format', 'oci', '-o', path.join(work, 'rt.tar'), 'layered:v1'), 'save');
      ok(strata('save', '-o', path.join(work, 'rt-docker.tar'), 'layered:v1'), 'save');
      ok(other('load', '-i', path.join(work, 'rt.tar')), 'load');
      const a = JSON.parse(ok(strata('images', '--format', 'json', 'layered'), 'images')) as Array<{ digest: string; id: string }>;
      const b = JSON.parse(ok(other('images', '--format', 'json', 'layered'), 'images')) as Array<{ digest: string; id: string }>;
      assert.equal(b[0]!.digest, a[0]!.digest);
      ok(other('rmi', 'layered:v1'), 'rmi');
      ok(other('load', '-i', path.join(work, 'rt-docker.tar')), 'load');
      const c = JSON.parse(ok(other('images', '--format', 'json', 'layered'), 'images')) as Array<{ digest: string; id: string }>;
      assert.equal(c[0]!.id, a[0]!.id);
      assert.equal(readFileSync(path.join(work, 'rt.tar')).subarray(257, 262).toString(), 'ustar');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
