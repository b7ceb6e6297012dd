import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  COPY_CHMOD, COPY_CHOWN, native, NativeError, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, XATTR_CREATE, XATTR_REPLACE, MNT_DETACH,
} from '../lib/index.js';

/** Asserts fn throws NativeError with the errno name `code`. */
function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NativeError, `expected NativeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    return true;
  });
}

describe('native-overlay binding', () => {
  const b = native();
  let dir: string;
  const mounts: string[] = [];
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-native-')); });
  afterEach(() => {
    for (const m of mounts.splice(0)) { try { b.unmount(m, MNT_DETACH); } catch { /* already gone */ } }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const p = (...parts: string[]) => path.join(dir, ...parts);
  function mkdirs(...names: string[]): void { for (const n of names) fs.mkdirSync(p(n), { recursive: true }); }

  describe('mountOverlay / unmount', () => {
    it('mounts lowers top-first with an upper, writes land in upper, unmount restores the dir', () => {
      mkdirs('l1', 'l2', 'up', 'work', 'mnt');
      fs.writeFileSync(p('l1', 'a'), 'top');
      fs.writeFileSync(p('l2', 'a'), 'bottom');
      fs.writeFileSync(p('l2', 'b'), 'only-bottom');
      b.mountOverlay(p('mnt'), [p('l1'), p('l2')], p('up'), p('work'), ['index=off']);
      mounts.push(p('mnt'));
      assert.equal(fs.readFileSync(p('mnt', 'a'), 'utf8'), 'top');
      assert.equal(fs.readFileSync(p('mnt', 'b'), 'utf8'), 'only-bottom');
      fs.writeFileSync(p('mnt', 'c'), 'new');
      fs.unlinkSync(p('mnt', 'b'));
      assert.equal(fs.readFileSync(p('up', 'c'), 'utf8'), 'new');
      const wh = b.lstatNs(p('up', 'b'));
      assert.equal(wh.mode & fs.constants.S_IFMT, fs.constants.S_IFCHR);
      assert.equal(wh.rdev, 0n);
      b.unmount(p('mnt'), 0);
      mounts.pop();
      assert.deepEqual(fs.readdirSync(p('mnt')), []);
    });

    it('mounts read-only without an upper, and a chain longer than one page of options', () => {
      const lowers: string[] = [];
      for (let i = 0; i < 60; i++) {
        const l = p(`layer-with-a-rather-long-directory-name-to-exceed-the-page-${String(i).padStart(3, '0')}`);
        fs.mkdirSync(l);
        fs.writeFileSync(path.join(l, `f${i}`), String(i));
        lowers.push(l);
      }
      assert.ok(lowers.join(':').length > 4096);
      mkdirs('mnt');
      b.mountOverlay(p('mnt'), lowers, null, null, []);
      mounts.push(p('mnt'));
      assert.equal(fs.readdirSync(p('mnt')).length, 60);
      assert.equal(fs.readFileSync(p('mnt', 'f59'), 'utf8'), '59');
      assert.throws(() => fs.writeFileSync(p('mnt', 'x'), 'x'), /EROFS/);
    });

    it('reports a missing lower dir as ENOENT and a non-mount as EINVAL', () => {
      mkdirs('up', 'work', 'mnt');
      throwsCode(() => b.mountOverlay(p('mnt'), [p('missing')], p('up'), p('work'), []), 'ENOENT');
      throwsCode(() => b.unmount(p('mnt'), 0), 'EINVAL');
    });
  });

  describe('mkWhiteout / mknod', () => {
    it('creates a 0/0 character device and refuses an existing path', () => {
      b.mkWhiteout(p('wh'));
      const st = fs.lstatSync(p('wh'));
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, 0);
      throwsCode(() => b.mkWhiteout(p('wh')), 'EEXIST');
    });

    it('creates fifos and character devices with their numbers', () => {
      b.mknod(p('fifo'), fs.constants.S_IFIFO | 0o640, 0, 0);
      assert.ok(fs.lstatSync(p('fifo')).isFIFO());
      assert.equal(fs.lstatSync(p('fifo')).mode & 0o777, 0o640 & ~process.umask());
      b.mknod(p('null'), fs.constants.S_IFCHR | 0o666, 1, 3);
      const st = b.lstatNs(p('null'));
      assert.equal(st.rdev, BigInt((1 << 8) | 3));
      throwsCode(() => b.mknod(p('no', 'such'), fs.constants.S_IFIFO | 0o600, 0, 0), 'ENOENT');
    });
  });

  describe('xattrs', () => {
    it('round-trips binary values and lists, replaces, removes them', () => {
      fs.writeFileSync(p('f'), '');
      const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      b.setXattr(p('f'), 'trusted.overlay.opaque', Buffer.from('y'), 0);
      b.setXattr(p('f'), 'user.bin', value, XATTR_CREATE);
      assert.deepEqual(b.getXattr(p('f'), 'user.bin'), value);
      assert.deepEqual(b.listXattr(p('f')).sort(), ['trusted.overlay.opaque', 'user.bin']);
      throwsCode(() => b.setXattr(p('f'), 'user.bin', value, XATTR_CREATE), 'EEXIST');
      throwsCode(() => b.setXattr(p('f'), 'user.none', value, XATTR_REPLACE), 'ENODATA');
      b.setXattr(p('f'), 'user.empty', Buffer.alloc(0), 0);
      assert.deepEqual(b.getXattr(p('f'), 'user.empty'), Buffer.alloc(0));
      b.removeXattr(p('f'), 'user.bin');
      assert.equal(b.getXattr(p('f'), 'user.bin'), null);
      throwsCode(() => b.removeXattr(p('f'), 'user.bin'), 'ENODATA');
      throwsCode(() => b.listXattr(p('missing')), 'ENOENT');
    });

    it('acts on a symlink itself, not its target', () => {
      fs.writeFileSync(p('target'), '');
      fs.symlinkSync('target', p('link'));
      b.setXattr(p('link'), 'trusted.x', Buffer.from('on-link'), 0);
      assert.deepEqual(b.getXattr(p('link'), 'trusted.x'), Buffer.from('on-link'));
      assert.equal(b.getXattr(p('target'), 'trusted.x'), null);
    });
  });

  describe('rename2', () => {
    it('honours NOREPLACE, EXCHANGE and WHITEOUT', () => {
      fs.writeFileSync(p('a'), 'A');
      fs.writeFileSync(p('b'), 'B');
      throwsCode(() => b.rename2(p('a'), p('b'), RENAME_NOREPLACE), 'EEXIST');
      b.rename2(p('a'), p('b'), RENAME_EXCHANGE);
      assert.equal(fs.readFileSync(p('a'), 'utf8'), 'B');
      assert.equal(fs.readFileSync(p('b'), 'utf8'), 'A');
      b.rename2(p('a'), p('c'), RENAME_WHITEOUT);
      assert.equal(fs.readFileSync(p('c'), 'utf8'), 'B');
      const st = b.lstatNs(p('a'));
      assert.equal(st.mode & fs.constants.S_IFMT, fs.constants.S_IFCHR);
      assert.equal(st.rdev, 0n);
      b.rename2(p('c'), p('d'), 0);
      assert.ok(fs.existsSync(p('d')));
      throwsCode(() => b.rename2(p('nope'), p('e'), 0), 'ENOENT');
    });
  });

  describe('cloneFile', () => {
    it('returns false where the filesystem cannot reflink, leaving no destination behind', () => {
      fs.writeFileSync(p('src'), 'data');
      const cloned = b.cloneFile(p('src'), p('dst'));
      if (cloned) assert.equal(fs.readFileSync(p('dst'), 'utf8'), 'data');
      else assert.equal(fs.existsSync(p('dst')), false);
      // ext4 and tmpfs (this machine's /tmp) cannot reflink
      const fsType = fs.statfsSync(dir).type;
      if (fsType === 0xef53 || fsType === 0x01021994) assert.equal(cloned, false);
      throwsCode(() => b.cloneFile(p('missing'), p('dst2')), 'ENOENT');
      fs.writeFileSync(p('exists'), '');
      throwsCode(() => b.cloneFile(p('src'), p('exists')), 'EEXIST');
    });
  });

  describe('lstatNs / lutimesNs / lchown / syncfs', () => {
    it('sets and reads nanosecond times without following symlinks', () => {
      fs.writeFileSync(p('f'), 'x');
      fs.symlinkSync('f', p('l'));
      b.lutimesNs(p('l'), 1_000_000_001_123_456_789n, 1_500_000_000_987_654_321n);
      const st = b.lstatNs(p('l'));
      assert.equal(st.mode & fs.constants.S_IFMT, fs.constants.S_IFLNK);
      assert.equal(st.atimeNs, 1_000_000_001_123_456_789n);
      assert.equal(st.mtimeNs, 1_500_000_000_987_654_321n);
      assert.notEqual(b.lstatNs(p('f')).mtimeNs, st.mtimeNs);
      assert.equal(st.size, 1n);
      assert.equal(st.nlink, 1);
      assert.equal(st.ino, fs.lstatSync(p('l'), { bigint: true }).ino);
      b.lutimesNs(p('f'), -1_500_000_000n, 0n);
      assert.equal(b.lstatNs(p('f')).atimeNs, -1_500_000_000n);
      throwsCode(() => b.lstatNs(p('missing')), 'ENOENT');
      throwsCode(() => b.lutimesNs(p('missing'), 0n, 0n), 'ENOENT');
    });

    it('lchown changes the link, not the target', () => {
      fs.writeFileSync(p('f'), 'x');
      fs.symlinkSync('f', p('l'));
      b.lchown(p('l'), 1234, 5678);
      assert.equal(b.lstatNs(p('l')).uid, 1234);
      assert.equal(b.lstatNs(p('l')).gid, 5678);
      assert.equal(b.lstatNs(p('f')).uid, 0);
      throwsCode(() => b.lchown(p('missing'), 0, 0), 'ENOENT');
    });

    it('syncfs flushes the filesystem holding a path', () => {
      fs.writeFileSync(p('f'), 'x');
      b.syncfs(p('f'));
      b.syncfs(dir);
      throwsCode(() => b.syncfs(p('missing')), 'ENOENT');
    });
  });

  it('lstatDirAsync lists as lstatDir does, off the main thread, and rejects a missing directory', async () => {
    mkdirs('d/sub');
    fs.writeFileSync(p('d', 'f'), 'x');
    fs.symlinkSync('f', p('d', 'l'));
    const sync = b.lstatDir(p('d'));
    const got = await b.lstatDirAsync(p('d'));
    assert.deepEqual(got.names, sync.names);
    assert.deepEqual(got.stats, sync.stats);
    assert.deepEqual(got.keys, sync.keys);
    await assert.rejects(b.lstatDirAsync(p('missing')), (e: unknown) => e instanceof NativeError && e.code === 'ENOENT');
  });

  describe('copySmallFiles', () => {
    const params = (...rows: number[][]) => new Float64Array(rows.flat());

    it('copies through memory on the thread pool: content back, mode, owner and microsecond mtime set', async () => {
      mkdirs('src', 'dst');
      fs.writeFileSync(p('src', 'a'), 'alpha');
      fs.writeFileSync(p('src', 'grown'), 'longer than it was listed');
      fs.writeFileSync(p('src', 'empty'), '');
      const got = await b.copySmallFiles(p('src'), p('dst'), ['a', 'grown', 'empty'], params(
        [5, 0o640, 0, 0, 1_700_000_000.123456, 0],
        [4, 0o4755, 1234, 5678, 1_600_000_000, COPY_CHOWN | COPY_CHMOD],
        [0, 0o600, 0, 0, 0, COPY_CHMOD],
      ));
      assert.equal(got.data.toString(), 'alphalonger than it was listed');
      assert.deepEqual([...got.sizes], [5, 25, 0]);
      assert.equal(fs.readFileSync(p('dst', 'grown'), 'utf8'), 'longer than it was listed');
      const a = b.lstatNs(p('dst', 'a'));
      assert.equal(a.mode & 0o7777, 0o640 & ~process.umask());
      assert.equal(a.mtimeNs, 1_700_000_000_123_456_000n);
      const g = b.lstatNs(p('dst', 'grown'));
      assert.equal(g.mode & 0o7777, 0o4755);
      assert.equal(g.uid, 1234);
      assert.equal(g.gid, 5678);
      assert.equal(g.mtimeNs, 1_600_000_000_000_000_000n);
      assert.equal(b.lstatNs(p('dst', 'empty')).mode & 0o7777, 0o600);
      const none = await b.copySmallFiles(p('src'), p('dst'), [], params());
      assert.equal(none.data.length, 0);
      assert.equal(none.sizes.length, 0);
    });

    it('rejects with the failing file and call, and refuses bad arguments at once', async () => {
      mkdirs('src', 'dst');
      fs.writeFileSync(p('src', 'a'), 'x');
      fs.writeFileSync(p('dst', 'a'), 'there already');
      fs.symlinkSync('a', p('src', 'link'));
      const rejects = (names: string[], code: string, re: RegExp, src = p('src')) => assert.rejects(
        b.copySmallFiles(src, p('dst'), names, params(...names.map(() => [1, 0o644, 0, 0, 0, 0]))),
        (e: unknown) => e instanceof NativeError && e.code === code && re.test(e.message));
      await rejects(['a'], 'EEXIST', /create .*\/dst\/a:/);
      await rejects(['missing'], 'ENOENT', /open .*\/src\/missing:/);
      await rejects(['link'], 'ELOOP', /open .*\/src\/link:/);
      await rejects(['a'], 'ENOENT', /open .*\/nowhere:/, p('nowhere'));
      const loose = b as unknown as Record<string, (...a: unknown[]) => unknown>;
      throwsCode(() => loose.copySmallFiles!(p('src'), p('dst'), ['a'], params([1, 0o644, 0, 0, 0])), 'EINVAL');
      throwsCode(() => loose.copySmallFiles!(p('src'), p('dst'), ['a'], params([1, 0o10000, 0, 0, 0, 0])), 'EINVAL');
      throwsCode(() => loose.copySmallFiles!(p('src'), p('dst'), ['a'], params([1, 0o644, -1, 0, 0, 0])), 'EINVAL');
      throwsCode(() => loose.copySmallFiles!(p('src'), p('dst'), ['a'], params([1, 0o644, 0, 0, NaN, 0])), 'EINVAL');
      throwsCode(() => loose.copySmallFiles!(p('src'), p('dst'), ['a'], [1, 0o644, 0, 0, 0, 0]), 'EINVAL');
      throwsCode(() => loose.copySmallFiles!(p('src'), p('dst'), ['a\0b'], params([1, 0o644, 0, 0, 0, 0])), 'EINVAL');
    });
  });

  it('rejects wrong argument types with NativeError EINVAL', () => {
    const loose = b as unknown as Record<string, (...a: unknown[]) => unknown>;
    throwsCode(() => loose.lstatNs!(42), 'EINVAL');
    throwsCode(() => loose.setXattr!(p('x'), 'user.a', 'not-a-buffer', 0), 'EINVAL');
    throwsCode(() => loose.mountOverlay!(p('x'), 'not-an-array', null, null, []), 'EINVAL');
    throwsCode(() => loose.mknod!(p('x')), 'EINVAL');
    throwsCode(() => loose.lstatNs!('a\0b'), 'EINVAL');
  });
});
