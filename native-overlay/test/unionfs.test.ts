import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { native, unionfsBinary } from '../lib/index.js';
import { asanUnionfsBinary, Union } from './union-fixture.js';

const S_IFMT = fs.constants.S_IFMT;

/** Asserts p in the upper dir is an overlay whiteout (0/0 character device). */
function assertWhiteout(p: string): void {
  const st = fs.lstatSync(p);
  assert.ok(st.isCharacterDevice(), `${p} is a whiteout`);
  assert.equal(st.rdev, 0);
}

function expectErrno(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: NodeJS.ErrnoException) => e.code === code);
}

// Every scenario runs on the release build and on the ASan/UBSan build (kept in the foreground so its
// sanitizer report, if any, reaches us and fails the test).
for (const variant of ['release', 'ASan/UBSan'] as const) describe(`strata-unionfs (${variant})`, function () {
  let u: Union;
  beforeEach(() => {
    u = new Union(2);
    u.sanitized = variant === 'ASan/UBSan';
    fs.writeFileSync(u.l(0, 'top'), 'from lower0');
    fs.writeFileSync(u.l(1, 'top'), 'hidden by lower0');
    fs.writeFileSync(u.l(1, 'bottom'), 'from lower1');
    fs.mkdirSync(u.l(1, 'dir/sub'), { recursive: true });
    fs.writeFileSync(u.l(1, 'dir/sub/deep'), 'deep');
    fs.mkdirSync(u.l(0, 'dir'));
    fs.writeFileSync(u.l(0, 'dir/f0'), 'f0');
    fs.symlinkSync('bottom', u.l(1, 'link'));
  });
  afterEach(async () => {
    await u.dispose();
    assert.doesNotMatch(u.stderr, /AddressSanitizer|runtime error|LeakSanitizer|exit status/, u.stderr);
  });

  it('merges lowers top-first and reads files, dirs and symlinks', async () => {
    await u.mountUnionfs();
    assert.equal(fs.readFileSync(u.m('top'), 'utf8'), 'from lower0');
    assert.equal(fs.readFileSync(u.m('bottom'), 'utf8'), 'from lower1');
    assert.deepEqual(fs.readdirSync(u.m()).sort(), ['bottom', 'dir', 'link', 'top']);
    assert.deepEqual(fs.readdirSync(u.m('dir')).sort(), ['f0', 'sub']);
    assert.equal(fs.readFileSync(u.m('dir/sub/deep'), 'utf8'), 'deep');
    assert.equal(fs.readlinkSync(u.m('link')), 'bottom');
    assert.equal(fs.readFileSync(u.m('link'), 'utf8'), 'from lower1');
    assert.deepEqual(fs.readdirSync(u.upper), [], 'reading copies nothing up');
  });

  it('writes new files into the upper dir, owned by the caller', async () => {
    fs.chmodSync(u.root, 0o755); // mkdtemp's 0700 would stop the unprivileged user before our mount
    await u.mountUnionfs();
    fs.writeFileSync(u.m('new'), 'hello');
    fs.mkdirSync(u.m('dir/sub/nd'));
    fs.writeFileSync(u.m('dir/sub/nd/x'), 'x');
    assert.equal(fs.readFileSync(u.u('new'), 'utf8'), 'hello');
    assert.equal(fs.readFileSync(u.u('dir/sub/nd/x'), 'utf8'), 'x');
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `echo n > ${u.m('dir/sub/nd')}/../../../nobody-cannot || true`], { stdio: 'ignore' });
    assert.equal(fs.existsSync(u.m('nobody-cannot')), false, 'root-owned 0755 dir refuses others');
    fs.chmodSync(u.m('dir/sub/nd'), 0o777);
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `echo n > ${u.m('dir/sub/nd/byn')}`]);
    const st = fs.statSync(u.u('dir/sub/nd/byn'));
    assert.equal(st.uid, 65534);
    assert.equal(st.gid, 65534);
  });

  it('copies up on first write, keeping mode, owner, times and xattrs, parents first', async () => {
    fs.chmodSync(u.l(1, 'dir/sub/deep'), 0o640);
    fs.chownSync(u.l(1, 'dir/sub/deep'), 1234, 5678);
    native().setXattr(u.l(1, 'dir/sub/deep'), 'user.bin', Buffer.from([0, 1, 2, 255]), 0);
    native().setXattr(u.l(1, 'dir/sub/deep'), 'trusted.t', Buffer.from('t'), 0);
    native().lutimesNs(u.l(1, 'dir/sub/deep'), 1_600_000_000_123_456_789n, 1_600_000_000_987_654_321n);
    fs.chmodSync(u.l(1, 'dir/sub'), 0o751);
    await u.mountUnionfs();
    const inoBefore = fs.statSync(u.m('dir/sub/deep')).ino;
    fs.appendFileSync(u.m('dir/sub/deep'), '+more');
    assert.equal(fs.readFileSync(u.m('dir/sub/deep'), 'utf8'), 'deep+more');
    assert.equal(fs.readFileSync(u.u('dir/sub/deep'), 'utf8'), 'deep+more');
    assert.equal(fs.readFileSync(u.l(1, 'dir/sub/deep'), 'utf8'), 'deep', 'the lower is untouched');
    const st = native().lstatNs(u.u('dir/sub/deep'));
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.uid, 1234);
    assert.equal(st.gid, 5678);
    assert.deepEqual(native().getXattr(u.u('dir/sub/deep'), 'user.bin'), Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(native().getXattr(u.u('dir/sub/deep'), 'trusted.t'), Buffer.from('t'));
    assert.equal(fs.statSync(u.u('dir/sub')).mode & 0o7777, 0o751, 'parent copied up with its mode');
    assert.equal(fs.statSync(u.m('dir/sub/deep')).ino, inoBefore, 'inode number is stable across copy-up');
    assert.deepEqual(fs.readdirSync(u.work), [], 'nothing left in the work dir');
  });

  it('copies up on metadata changes alone (chmod, chown, utimes)', async () => {
    await u.mountUnionfs();
    fs.chmodSync(u.m('bottom'), 0o600);
    assert.equal(fs.statSync(u.u('bottom')).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(u.u('bottom'), 'utf8'), 'from lower1');
    fs.chownSync(u.m('dir/f0'), 42, 43);
    assert.equal(fs.statSync(u.u('dir/f0')).uid, 42);
    fs.utimesSync(u.m('top'), 1000, 2000);
    assert.equal(fs.statSync(u.u('top')).mtimeMs, 2000_000);
    fs.lchownSync(u.m('link'), 7, 8);
    assert.equal(fs.lstatSync(u.u('link')).uid, 7);
    assert.equal(fs.readlinkSync(u.u('link')), 'bottom');
  });

  it('truncating open copies up without the data', async () => {
    await u.mountUnionfs();
    fs.writeFileSync(u.m('bottom'), 'short');
    assert.equal(fs.readFileSync(u.m('bottom'), 'utf8'), 'short');
    fs.truncateSync(u.m('top'), 4);
    assert.equal(fs.readFileSync(u.u('top'), 'utf8'), 'from');
  });

  it('refuses to write a lower file while it is open for reading (ETXTBSY), allows metadata changes', async () => {
    await u.mountUnionfs();
    const reader = fs.openSync(u.m('bottom'), 'r');
    try {
      expectErrno(() => fs.appendFileSync(u.m('bottom'), 'x'), 'ETXTBSY');
      fs.chmodSync(u.m('bottom'), 0o640);
      assert.equal(fs.statSync(u.u('bottom')).mode & 0o777, 0o640);
      const again = fs.openSync(u.m('bottom'), 'r');
      fs.closeSync(again);
      const buf = Buffer.alloc(64);
      assert.equal(buf.subarray(0, fs.readSync(reader, buf)).toString(), 'from lower1');
    } finally {
      fs.closeSync(reader);
    }
    fs.appendFileSync(u.m('bottom'), '+');
    assert.equal(fs.readFileSync(u.m('bottom'), 'utf8'), 'from lower1+');
  });

  it('deletes lower names with 0/0 whiteouts and upper-only names outright', async () => {
    await u.mountUnionfs();
    fs.unlinkSync(u.m('bottom'));
    fs.unlinkSync(u.m('top'));
    assertWhiteout(u.u('bottom'));
    assertWhiteout(u.u('top'));
    fs.writeFileSync(u.m('scratch'), 's');
    fs.unlinkSync(u.m('scratch'));
    assert.equal(fs.existsSync(u.u('scratch')), false, 'no whiteout needed for an upper-only file');
    assert.deepEqual(fs.readdirSync(u.m()).sort(), ['dir', 'link']);
    expectErrno(() => fs.statSync(u.m('bottom')), 'ENOENT');
    fs.writeFileSync(u.m('bottom'), 'reborn');
    assert.equal(fs.readFileSync(u.m('bottom'), 'utf8'), 'reborn');
    assert.ok(fs.lstatSync(u.u('bottom')).isFile(), 'the whiteout was replaced');
  });

  it('removes a merged dir with a whiteout and makes a re-created one opaque', async () => {
    await u.mountUnionfs();
    fs.rmSync(u.m('dir'), { recursive: true });
    assertWhiteout(u.u('dir'));
    expectErrno(() => fs.readdirSync(u.m('dir')), 'ENOENT');
    fs.mkdirSync(u.m('dir'));
    assert.deepEqual(fs.readdirSync(u.m('dir')), []);
    assert.deepEqual(native().getXattr(u.u('dir'), 'trusted.overlay.opaque'), Buffer.from('y'));
    expectErrno(() => fs.rmdirSync(u.m('nonexistent')), 'ENOENT');
    fs.mkdirSync(u.m('other'));
    fs.writeFileSync(u.m('other/x'), '');
    expectErrno(() => fs.rmdirSync(u.m('other')), 'ENOTEMPTY');
  });

  it('renames files (whiteout at a lower source) and upper dirs; lower dirs give EXDEV', async () => {
    await u.mountUnionfs();
    fs.renameSync(u.m('bottom'), u.m('moved'));
    assert.equal(fs.readFileSync(u.m('moved'), 'utf8'), 'from lower1');
    assertWhiteout(u.u('bottom'));
    fs.renameSync(u.m('moved'), u.m('top'));
    assert.equal(fs.readFileSync(u.m('top'), 'utf8'), 'from lower1');
    expectErrno(() => fs.renameSync(u.m('dir'), u.m('dir2')), 'EXDEV');
    expectErrno(() => fs.renameSync(u.m('dir/sub'), u.m('sub2')), 'EXDEV');
    fs.mkdirSync(u.m('updir'));
    fs.writeFileSync(u.m('updir/in'), 'in');
    fs.renameSync(u.m('updir'), u.m('dir/sub/updir'));
    assert.equal(fs.readFileSync(u.m('dir/sub/updir/in'), 'utf8'), 'in');
    assert.equal(fs.readFileSync(u.u('dir/sub/updir/in'), 'utf8'), 'in');
    // mv falls back to copy + delete on EXDEV, as it does on the kernel overlay
    execFileSync('mv', [u.m('dir'), u.m('dir3')]);
    assert.equal(fs.readFileSync(u.m('dir3/sub/deep'), 'utf8'), 'deep');
    assert.equal(fs.existsSync(u.m('dir')), false);
  });

  it('renaming a dir over an empty lower dir makes it opaque', async () => {
    fs.mkdirSync(u.l(1, 'emptylower'));
    fs.mkdirSync(u.l(1, 'full'));
    fs.writeFileSync(u.l(1, 'full/x'), 'x');
    await u.mountUnionfs();
    fs.unlinkSync(u.m('full/x'));
    fs.mkdirSync(u.m('fresh'));
    fs.writeFileSync(u.m('fresh/y'), 'y');
    fs.renameSync(u.m('fresh'), u.m('full'));
    assert.deepEqual(fs.readdirSync(u.m('full')), ['y']);
    assert.deepEqual(native().getXattr(u.u('full'), 'trusted.overlay.opaque'), Buffer.from('y'));
  });

  it('hard links share an inode; unlinking one name keeps the other', async () => {
    await u.mountUnionfs();
    fs.linkSync(u.m('bottom'), u.m('hl'));
    const a = fs.statSync(u.m('bottom'));
    const b = fs.statSync(u.m('hl'));
    assert.equal(a.ino, b.ino);
    assert.equal(b.nlink, 2);
    assert.equal(fs.statSync(u.u('hl')).ino, fs.statSync(u.u('bottom')).ino);
    fs.appendFileSync(u.m('hl'), '!');
    assert.equal(fs.readFileSync(u.m('bottom'), 'utf8'), 'from lower1!');
    fs.unlinkSync(u.m('bottom'));
    assert.equal(fs.statSync(u.m('hl')).nlink, 1);
    assert.equal(fs.readFileSync(u.m('hl'), 'utf8'), 'from lower1!');
    assertWhiteout(u.u('bottom'));
  });

  it('creates symlinks and special files', async () => {
    await u.mountUnionfs();
    fs.symlinkSync('../top', u.m('dir/up'));
    assert.equal(fs.readlinkSync(u.u('dir/up')), '../top');
    native().mknod(u.m('fifo'), fs.constants.S_IFIFO | 0o600, 0, 0);
    native().mknod(u.m('null'), fs.constants.S_IFCHR | 0o666, 1, 3);
    assert.ok(fs.lstatSync(u.u('fifo')).isFIFO());
    assert.equal(fs.lstatSync(u.u('null')).rdev, (1 << 8) | 3);
    assert.equal(fs.readFileSync(u.m('null')).length, 0, 'device nodes work (mounted with dev)');
  });

  it('gets, sets, lists and removes xattrs; overlay-private names stay hidden', async () => {
    native().setXattr(u.l(1, 'bottom'), 'user.lower', Buffer.from('L'), 0);
    native().setXattr(u.l(1, 'dir'), 'trusted.overlay.opaque', Buffer.from('n'), 0);
    await u.mountUnionfs();
    const b = native();
    assert.deepEqual(b.getXattr(u.m('bottom'), 'user.lower'), Buffer.from('L'));
    assert.deepEqual(fs.readdirSync(u.upper), [], 'reading xattrs copies nothing up');
    const bin = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    b.setXattr(u.m('bottom'), 'user.bin', bin, 0);
    assert.deepEqual(b.getXattr(u.m('bottom'), 'user.bin'), bin);
    assert.deepEqual(b.getXattr(u.u('bottom'), 'user.bin'), bin);
    assert.deepEqual(b.listXattr(u.m('bottom')).sort(), ['user.bin', 'user.lower']);
    b.removeXattr(u.m('bottom'), 'user.lower');
    assert.equal(b.getXattr(u.m('bottom'), 'user.lower'), null);
    assert.equal(b.getXattr(u.m('dir'), 'trusted.overlay.opaque'), null);
    assert.ok(!b.listXattr(u.m('dir')).includes('trusted.overlay.opaque'));
  });

  it('honours lower-layer whiteouts, .wh. files and opaque dirs', async () => {
    native().mkWhiteout(u.l(0, 'bottom'));
    fs.writeFileSync(u.l(0, '.wh.link'), '');
    native().setXattr(u.l(0, 'dir'), 'trusted.overlay.opaque', Buffer.from('y'), 0);
    fs.mkdirSync(u.l(1, 'marked'));
    fs.writeFileSync(u.l(1, 'marked/below'), '');
    fs.mkdirSync(u.l(0, 'marked'));
    fs.writeFileSync(u.l(0, 'marked/.wh..wh..opq'), '');
    fs.writeFileSync(u.l(0, 'marked/above'), '');
    await u.mountUnionfs();
    assert.deepEqual(fs.readdirSync(u.m('marked')), ['above'], 'a .wh..wh..opq marker makes a dir opaque');
    assert.deepEqual(fs.readdirSync(u.m()).sort(), ['dir', 'marked', 'top']);
    expectErrno(() => fs.statSync(u.m('bottom')), 'ENOENT');
    expectErrno(() => fs.lstatSync(u.m('link')), 'ENOENT');
    assert.deepEqual(fs.readdirSync(u.m('dir')), ['f0'], 'opaque lower dir hides the one below');
  });

  it('reports stable inode numbers, matching readdir and stat', async () => {
    await u.mountUnionfs();
    const first = fs.statSync(u.m('dir/sub/deep')).ino;
    const entries = new Map<string, bigint>();
    const d = fs.opendirSync(u.m());
    for (let e = d.readSync(); e; e = d.readSync()) entries.set(e.name, 0n);
    d.closeSync();
    await u.unmount();
    await await u.mountUnionfs();
    assert.equal(fs.statSync(u.m('dir/sub/deep')).ino, first, 'same number after a remount');
    const ls = execFileSync('ls', ['-i1', u.mnt], { encoding: 'utf8' }).trim().split('\n');
    for (const line of ls) {
      const [ino, name] = line.trim().split(/\s+/);
      assert.equal(BigInt(ino!), fs.lstatSync(u.m(name!), { bigint: true }).ino, name);
    }
    assert.equal(entries.size, 4);
  });

  it('leaves an upper dir the kernel overlay reads the same way', async () => {
    await u.mountUnionfs();
    fs.unlinkSync(u.m('top'));
    fs.rmSync(u.m('dir/sub'), { recursive: true });
    fs.mkdirSync(u.m('dir/sub'));
    fs.writeFileSync(u.m('dir/sub/new'), 'n');
    fs.renameSync(u.m('bottom'), u.m('dir/bottom'));
    fs.chmodSync(u.m('dir/f0'), 0o700);
    const walk = (root: string): string[] => {
      const out: string[] = [];
      const rec = (rel: string) => {
        for (const name of fs.readdirSync(`${root}/${rel}`).sort()) {
          const p = rel ? `${rel}/${name}` : name;
          const st = fs.lstatSync(`${root}/${p}`);
          const body = st.isFile() ? fs.readFileSync(`${root}/${p}`, 'utf8') : st.isSymbolicLink() ? fs.readlinkSync(`${root}/${p}`) : '';
          out.push(`${p} ${(st.mode & S_IFMT).toString(8)} ${(st.mode & 0o7777).toString(8)} ${body}`);
          if (st.isDirectory()) rec(p);
        }
      };
      rec('');
      return out;
    };
    const labelled = (label: string) => {
      try { return walk(u.mnt); } catch (e) {
        const up = execFileSync('ls', ['-laR', u.upper], { encoding: 'utf8' });
        throw new Error(`${label}: ${(e as Error).message}\nupper:\n${up}`);
      }
    };
    const viaUnionfs = labelled('via strata-unionfs');
    await u.unmount();
    u.mountKernel();
    assert.deepEqual(labelled('via the kernel overlay'), viaUnionfs);
  });

  it('mounts read-only without an upper dir', async () => {
    execFileSync(u.sanitized ? asanUnionfsBinary : unionfsBinary(), ['-o', `lowerdir=${u.lowers.join(':')}`, u.mnt]);
    try {
      assert.equal(fs.readFileSync(u.m('top'), 'utf8'), 'from lower0');
      expectErrno(() => fs.writeFileSync(u.m('x'), 'x'), 'EROFS');
      expectErrno(() => fs.unlinkSync(u.m('top')), 'EROFS');
    } finally {
      execFileSync('umount', [u.mnt]);
    }
  });
});
