import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.resolve(here, '..', 'src', 'bin.js');
const repo = path.resolve(here, '..', '..', '..', '..');

describe('strata images, tag, rmi, import, export, save, load, fsck', function () {
  this.timeout(120000);
  let root: string;
  let work: string;
  const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root }, maxBuffer: 1 << 26 });
  const ok = (...args: string[]) => {
    const r = strata(...args);
    assert.equal(r.status, 0, `strata ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-oci-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-oci-work-'));
    const r = spawnSync('bash', [path.join(repo, 'fixtures', 'make-busybox.sh'), root], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('make-busybox imports busybox:latest reproducibly', () => {
    const out = ok('images');
    assert.match(out, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
    assert.match(out, /\nbusybox +latest +[0-9a-f]{12} +\d+ years ago +\d/);
    const again = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-oci-again-'));
    try {
      const a = spawnSync('bash', [path.join(repo, 'fixtures', 'make-busybox.sh'), again], { encoding: 'utf8' });
      const list = JSON.parse(ok('images', '--format', 'json')) as Array<{ digest: string }>;
      assert.equal(a.stdout.trim(), list[0]!.digest);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  it('the busybox image has a working shell layout', () => {
    const tar = path.join(work, 'bb-export.tar');
    ok('export', 'busybox', '-o', tar);
    const x = path.join(work, 'bbx');
    mkdirSync(x);
    assert.equal(spawnSync('tar', ['-xpf', tar, '-C', x]).status, 0);
    assert.equal(readlinkSync(path.join(x, 'bin', 'sh')), '/bin/busybox');
    assert.ok(lstatSync(path.join(x, 'bin', 'busybox')).mode & 0o111);
    assert.equal(lstatSync(path.join(x, 'tmp')).mode & 0o7777, 0o1777);
    const r = spawnSync('chroot', [x, '/bin/sh', '-c', 'id -un; grep nobody /etc/passwd | cut -d: -f3; ls /usr/bin | wc -l'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [user, nobody, count] = r.stdout.trim().split('\n');
    assert.equal(user, 'root');
    assert.equal(nobody, '65534');
    assert.ok(Number(count) > 50);
  });

  it('tag adds a name, rmi removes names then the image', () => {
    ok('tag', 'busybox', 'mine/box:1');
    assert.match(ok('images', 'mine/box'), /\nmine\/box +1 /);
    assert.equal(ok('images', '-q').trim().split('\n').length, 1);
    assert.equal(ok('rmi', 'mine/box:1'), 'Untagged: mine/box:1\n');
    const r = strata('rmi', 'mine/box:1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^strata: mine\/box:1: no such image in /);
    const u = strata('tag', 'nope', 'x');
    assert.equal(u.status, 1);
    assert.equal(strata('tag', 'busybox').status, 2);
  });

  it('import a rootfs, export it, rmi deletes its blobs', () => {
    const src = path.join(work, 'rootfs');
    mkdirSync(path.join(src, 'etc'), { recursive: true });
    writeFileSync(path.join(src, 'etc', 'issue'), 'strata test\n');
    const tarball = path.join(work, 'rootfs.tar.gz');
    assert.equal(spawnSync('tar', ['-czf', tarball, '-C', src, '.']).status, 0);
    const blobsBefore = readdirSync(path.join(root, 'blobs', 'sha256')).length;
    const digest = ok('import', '--change', 'CMD ["cat", "/etc/issue"]', '-m', 'hello', tarball, 'imported:v1').trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(readdirSync(path.join(root, 'blobs', 'sha256')).length, blobsBefore + 3);
    const exp = path.join(work, 'imported.tar');
    ok('export', 'imported:v1', '-o', exp);
    const names = spawnSync('tar', ['-tf', exp], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.deepEqual(names, ['etc/', 'etc/issue']);
    const rm = ok('rmi', 'imported:v1');
    assert.match(rm, /^Untagged: imported:v1\n(Deleted: sha256:[0-9a-f]{64}\n){3}$/);
    assert.equal(readdirSync(path.join(root, 'blobs', 'sha256')).length, blobsBefore);
  });

  it('import from stdin', () => {
    const src = path.join(work, 'stdin-rootfs');
    mkdirSync(src);
    writeFileSync(path.join(src, 'f'), 'x');
    const tar = spawnSync('tar', ['-cf', '-', '-C', src, '.']).stdout;
    const r = spawnSync(process.execPath, [bin, 'import', '-', 'fromstdin'], { input: tar, encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(ok('images'), /\nfromstdin +latest /);
    ok('rmi', 'fromstdin');
  });

  it('save and load round-trip in every format', () => {
    for (const format of ['docker', 'docker-legacy', 'oci', 'oci-dir']) {
      const out = path.join(work, `save-${format}`);
      ok('save', '--format', format, '-o', out, 'busybox');
      assert.ok(existsSync(out));
      const fresh = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-oci-load-'));
      try {
        const r = spawnSync(process.execPath, [bin, 'load', '-i', out], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: fresh } });
        assert.equal(r.status, 0, `${format}: ${r.stderr}`);
        assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
        const f = spawnSync(process.execPath, [bin, 'fsck'], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: fresh } });
        assert.equal(f.status, 0, f.stdout);
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    }
  });

  it('load reads a gzip- or zstd-compressed docker save', () => {
    const tar = path.join(work, 'compressed.tar');
    ok('save', '-o', tar, 'busybox');
    for (const [tool, ext] of [['gzip', 'gz'], ['zstd', 'zst']] as const) {
      assert.equal(spawnSync(tool, ['-kq', tar]).status, 0);
      const fresh = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-oci-gz-'));
      try {
        const r = spawnSync(process.execPath, [bin, 'load', '-i', `${tar}.${ext}`], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: fresh } });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
        assert.deepEqual(readdirSync(path.join(fresh, 'tmp')), []);
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    }
  });

  it('save writes to standard output and load reads standard input when no file is named (docker save x > f; docker load < f)', () => {
    const saved = spawnSync(process.execPath, [bin, 'save', 'busybox'], { env: { ...process.env, STRATA_ROOT: root }, maxBuffer: 1 << 26 });
    assert.equal(saved.status, 0, saved.stderr.toString());
    assert.ok(spawnSync('tar', ['-tf', '-'], { input: saved.stdout, encoding: 'utf8' }).stdout.split('\n').includes('manifest.json'));
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'strata-cli-oci-stdin-'));
    try {
      const env = { ...process.env, STRATA_ROOT: fresh };
      const r = spawnSync(process.execPath, [bin, 'load'], { input: saved.stdout, encoding: 'utf8', env });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
      assert.deepEqual(readdirSync(path.join(fresh, 'tmp')), [], 'the spooled input is gone');
      const empty = spawnSync(process.execPath, [bin, 'load'], { input: '', encoding: 'utf8', env });
      assert.equal(empty.status, 1);
      assert.match(empty.stderr, /^strata: [^\n]+\n$/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with one line', () => {
    for (const args of [['save', '-o', 'x', '--format', 'zip', 'busybox'], ['save', '--format', 'oci-dir', 'busybox'], ['import', 'only-one'], ['export'], ['fsck', 'extra']]) {
      const r = strata(...args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /^strata: [^\n]+\nRun `strata --help` for usage\.\n$/);
    }
  });

  it('fsck is clean on a good store', () => {
    assert.match(ok('fsck'), /^\d+ blobs and \d+ images checked, 0 problems\n$/);
  });
});
