import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { native } from '@strata/native-overlay';
import { bytes, deepDir, DEEP, put } from './lowers.js';

/** What a scenario's change set must hold. */
export interface Expectation {
  /** Paths that must appear as these entry types. */
  changed: Record<string, string>;
  /** Paths that must be deleted: a whiteout there, or an opaque ancestor the path is no longer under. */
  whiteouts?: string[];
  /** Paths that must not appear at all. */
  unchanged?: string[];
  /** Prefixes under which any entry is allowed (new trees); others must be changed, whiteouts or their parents. */
  subtrees?: string[];
}

/** One conformance case: operations on the mounted snapshot, POSIX checks on the merged view, the change set. */
export interface Scenario {
  name: string;
  run(root: string): void;
  check(root: string): void;
  expect: Expectation;
}

const p = path.join;
const read = (root: string, rel: string): string => fs.readFileSync(p(root, rel), 'utf8');
const gone = (root: string, rel: string): void => assert.ok(!fs.existsSync(p(root, rel)) && !isLink(p(root, rel)), `${rel} still exists`);
const isLink = (abs: string): boolean => { try { return fs.lstatSync(abs).isSymbolicLink(); } catch { return false; } };
const mode = (root: string, rel: string): number => fs.lstatSync(p(root, rel)).mode & 0o7777;

/** mv as coreutils does it: rename, and on EXDEV (a lower dir under overlay without redirect_dir) copy + delete. */
export function move(root: string, from: string, to: string): void {
  try {
    fs.renameSync(p(root, from), p(root, to));
  } catch (e) {
    if ((e as { code?: string }).code !== 'EXDEV') throw e;
    fs.cpSync(p(root, from), p(root, to), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    fs.rmSync(p(root, from), { recursive: true });
  }
}

/** The scenarios, each run on the same two lower layers (lowers.ts) by every driver. */
export const scenarios: Scenario[] = [
  {
    name: 'no change',
    run() {},
    check(r) { assert.equal(read(r, 'etc/conf'), 'key=value\nlayer2=yes\n'); assert.deepEqual(fs.readdirSync(p(r, 'opq')), ['from2']); },
    expect: { changed: {}, unchanged: ['etc', 'etc/conf', 'dir', 'data/big.bin', 'opq', 'hl/one'] },
  },
  {
    name: 'create files and directories',
    run(r) {
      put(r, 'new/sub/file', 'fresh\n'); put(r, 'etc/newfile', 'n\n', 0o640); fs.mkdirSync(p(r, 'emptydir/inner'));
      put(r, 'dir/b', 'back again\n'); put(r, 'opq/p', 'hidden below, new here'); put(r, 'new.txt', 'sorts among new/');
    },
    check(r) {
      assert.equal(read(r, 'new/sub/file'), 'fresh\n'); assert.equal(mode(r, 'etc/newfile'), 0o640); assert.equal(read(r, 'etc/keep'), 'unchanged\n');
      assert.equal(read(r, 'dir/b'), 'back again\n'); assert.deepEqual(fs.readdirSync(p(r, 'opq')).sort(), ['from2', 'p']);
    },
    expect: {
      changed: { new: 'dir', 'new/sub': 'dir', 'new/sub/file': 'file', 'etc/newfile': 'file', 'emptydir/inner': 'dir', 'dir/b': 'file', 'opq/p': 'file', 'new.txt': 'file' },
      unchanged: ['etc/keep', 'etc/conf', 'dir/a', 'opq/from2'],
    },
  },
  {
    name: 'modify and truncate',
    run(r) { fs.appendFileSync(p(r, 'etc/conf'), 'more\n'); fs.truncateSync(p(r, 'data/big.bin'), 1000); },
    check(r) { assert.equal(read(r, 'etc/conf'), 'key=value\nlayer2=yes\nmore\n'); assert.equal(fs.statSync(p(r, 'data/big.bin')).size, 1000); },
    expect: { changed: { 'etc/conf': 'file', 'data/big.bin': 'file' }, unchanged: ['etc/keep', 'etc/secret'] },
  },
  {
    name: 'chmod and chown',
    run(r) { fs.chmodSync(p(r, 'dir/a'), 0o600); fs.chmodSync(p(r, 'dir/sub'), 0o700); fs.chownSync(p(r, 'dir/sub/c'), 1000, 1001); fs.lchownSync(p(r, 'link'), 42, 43); fs.chmodSync(p(r, 'owned'), 0o4755); },
    check(r) {
      assert.equal(mode(r, 'dir/a'), 0o600); assert.equal(mode(r, 'dir/sub'), 0o700); assert.equal(mode(r, 'owned'), 0o4755);
      const c = fs.statSync(p(r, 'dir/sub/c')); assert.deepEqual([c.uid, c.gid], [1000, 1001]);
      const l = fs.lstatSync(p(r, 'link')); assert.deepEqual([l.uid, l.gid], [42, 43]); assert.equal(read(r, 'dir/sub/c'), 'c\n');
    },
    expect: { changed: { 'dir/a': 'file', 'dir/sub': 'dir', 'dir/sub/c': 'file', link: 'symlink', owned: 'file' }, unchanged: ['etc/keep', 'hl/one'] },
  },
  {
    name: 'set and change xattrs',
    run(r) {
      native().setXattr(p(r, 'etc/keep'), 'user.new', Buffer.from([0xff, 0, 0x80]), 0);
      native().setXattr(p(r, 'x/attr'), 'user.test', Buffer.from('changed'), 0);
      native().setXattr(p(r, 'dir'), 'trusted.marker', Buffer.from([1, 2, 3]), 0);
      native().removeXattr(p(r, 'x/attr2'), 'user.gone');
      native().removeXattr(p(r, 'x'), 'trusted.dirattr');
    },
    check(r) {
      assert.deepEqual(native().getXattr(p(r, 'etc/keep'), 'user.new'), Buffer.from([0xff, 0, 0x80]));
      assert.equal(native().getXattr(p(r, 'x/attr'), 'user.test')?.toString(), 'changed');
      assert.equal(native().getXattr(p(r, 'x'), 'trusted.dirattr'), null);
      assert.equal(native().getXattr(p(r, 'x/attr2'), 'user.gone'), null);
      assert.equal(read(r, 'x/attr2'), 'loses its xattr\n');
    },
    expect: { changed: { 'etc/keep': 'file', 'x/attr': 'file', 'x/attr2': 'file', x: 'dir', dir: 'dir' }, unchanged: ['etc/conf', 'dir/a'] },
  },
  {
    name: 'hardlinks',
    run(r) { fs.linkSync(p(r, 'etc/keep'), p(r, 'etc/keep-link')); put(r, 'newlinks/f', 'shared\n'); fs.linkSync(p(r, 'newlinks/f'), p(r, 'newlinks/g')); },
    check(r) {
      assert.equal(fs.statSync(p(r, 'etc/keep')).ino, fs.statSync(p(r, 'etc/keep-link')).ino);
      fs.appendFileSync(p(r, 'newlinks/g'), 'both\n');
      assert.equal(read(r, 'newlinks/f'), 'shared\nboth\n');
      assert.equal(fs.statSync(p(r, 'hl/one')).ino, fs.statSync(p(r, 'hl/two')).ino);
    },
    expect: { changed: { 'etc/keep': 'file', 'etc/keep-link': 'hardlink', 'newlinks/f': 'file', 'newlinks/g': 'hardlink' }, unchanged: ['etc/conf', 'hl/one', 'hl/two'] },
  },
  {
    name: 'symlinks',
    run(r) { fs.symlinkSync('../etc/conf', p(r, 'dir/toconf')); fs.unlinkSync(p(r, 'link')); fs.symlinkSync('/etc/keep', p(r, 'link')); fs.symlinkSync('nowhere', p(r, 'dangling')); },
    check(r) { assert.equal(read(r, 'dir/toconf'), 'key=value\nlayer2=yes\n'); assert.equal(fs.readlinkSync(p(r, 'link')), '/etc/keep'); assert.equal(fs.readlinkSync(p(r, 'dangling')), 'nowhere'); },
    expect: { changed: { 'dir/toconf': 'symlink', link: 'symlink', dangling: 'symlink' }, unchanged: ['dir/a', 'etc/conf'] },
  },
  {
    name: 'delete files and directories',
    run(r) { fs.unlinkSync(p(r, 'dir/a')); fs.rmSync(p(r, 'rm'), { recursive: true }); fs.unlinkSync(p(r, 'hl/two')); fs.unlinkSync(p(r, 'two/only')); fs.rmdirSync(p(r, 'emptydir')); },
    check(r) {
      for (const g of ['dir/a', 'rm', 'hl/two', 'two/only', 'emptydir']) gone(r, g);
      assert.equal(read(r, 'hl/one'), 'linked\n'); assert.deepEqual(fs.readdirSync(p(r, 'dir')), ['sub']); assert.deepEqual(fs.readdirSync(p(r, 'two')), []);
    },
    expect: { changed: { dir: 'dir', hl: 'dir', two: 'dir' }, whiteouts: ['dir/a', 'rm', 'hl/two', 'two/only', 'emptydir'], unchanged: ['dir/sub', 'hl/one', 'rm/three'] },
  },
  {
    name: 'rename files and directories',
    run(r) {
      move(r, 'etc/conf', 'etc/conf.renamed'); move(r, 'dir', 'dir2'); put(r, 'fresh/f', 'f'); move(r, 'fresh', 'fresh2');
      put(r, 'etc/replacement', 'replaces the secret\n', 0o640); move(r, 'etc/replacement', 'etc/secret');
      move(r, 'two/only', 'dir2/only');
    },
    check(r) {
      gone(r, 'etc/conf'); gone(r, 'dir'); gone(r, 'fresh'); gone(r, 'etc/replacement'); gone(r, 'two/only');
      assert.equal(read(r, 'etc/conf.renamed'), 'key=value\nlayer2=yes\n'); assert.equal(read(r, 'dir2/sub/c'), 'c\n'); assert.equal(read(r, 'fresh2/f'), 'f');
      assert.equal(read(r, 'etc/secret'), 'replaces the secret\n'); assert.equal(mode(r, 'etc/secret'), 0o640); assert.equal(read(r, 'dir2/only'), 'in layer two\n');
    },
    expect: {
      changed: { 'etc/conf.renamed': 'file', dir2: 'dir', 'dir2/a': 'file', 'dir2/sub/c': 'file', 'fresh2/f': 'file', 'etc/secret': 'file', 'dir2/only': 'file' },
      whiteouts: ['etc/conf', 'dir', 'two/only'], unchanged: ['etc/keep', 'fresh', 'etc/replacement'],
    },
  },
  {
    name: 'delete then re-create',
    run(r) {
      fs.unlinkSync(p(r, 'etc/conf')); put(r, 'etc/conf', 'recreated\n');
      fs.rmSync(p(r, 'dir'), { recursive: true }); put(r, 'dir/z', 'z\n');
      fs.unlinkSync(p(r, 'etc/keep')); fs.mkdirSync(p(r, 'etc/keep')); put(r, 'etc/keep/inside', 'i');
      fs.rmSync(p(r, 'rm/tree'), { recursive: true }); put(r, 'rm/tree', 'now a file');
    },
    check(r) {
      assert.equal(read(r, 'etc/conf'), 'recreated\n'); assert.deepEqual(fs.readdirSync(p(r, 'dir')), ['z']);
      assert.deepEqual(fs.readdirSync(p(r, 'etc/keep')), ['inside']); assert.equal(read(r, 'rm/tree'), 'now a file');
    },
    expect: {
      changed: { 'etc/conf': 'file', dir: 'dir', 'dir/z': 'file', 'etc/keep': 'dir', 'etc/keep/inside': 'file', 'rm/tree': 'file' },
      whiteouts: ['dir/a', 'dir/sub'], unchanged: ['rm/three', 'etc/secret'],
    },
  },
  {
    name: 'make a directory opaque',
    run(r) { fs.rmSync(p(r, 'opq'), { recursive: true }); fs.mkdirSync(p(r, 'opq')); put(r, 'opq/only', 'only'); fs.rmSync(p(r, 'x'), { recursive: true }); fs.mkdirSync(p(r, 'x')); },
    check(r) { assert.deepEqual(fs.readdirSync(p(r, 'opq')), ['only']); assert.deepEqual(fs.readdirSync(p(r, 'x')), []); assert.equal(native().getXattr(p(r, 'x'), 'trusted.dirattr'), null); },
    expect: { changed: { opq: 'dir', 'opq/only': 'file', x: 'dir' }, whiteouts: ['opq/from2', 'x/attr', 'x/attr2'], unchanged: ['etc'] },
  },
  {
    name: 'deep trees',
    run(r) { put(r, `${deepDir()}/leaf`, 'changed deep\n'); put(r, `${deepDir(DEEP)}/${deepDir(30)}/new`, 'deeper'); },
    check(r) { assert.equal(read(r, `${deepDir()}/leaf`), 'changed deep\n'); assert.equal(read(r, `${deepDir(DEEP)}/${deepDir(30)}/new`), 'deeper'); },
    expect: { changed: { [`${deepDir()}/leaf`]: 'file', [`${deepDir(DEEP)}/${deepDir(30)}/new`]: 'file', d0: 'dir' }, subtrees: [`${deepDir(DEEP)}/d0`], unchanged: ['etc'] },
  },
  {
    name: 'large files',
    run(r) {
      put(r, 'large/new.bin', bytes(16 << 20, 99));
      const fd = fs.openSync(p(r, 'data/big.bin'), 'r+');
      fs.writeSync(fd, Buffer.from('patched in the middle'), 0, 21, 2 << 20);
      fs.closeSync(fd);
    },
    check(r) {
      assert.equal(fs.statSync(p(r, 'large/new.bin')).size, 16 << 20);
      const b = fs.readFileSync(p(r, 'data/big.bin'));
      assert.equal(b.length, 4 << 20); assert.equal(b.subarray(2 << 20, (2 << 20) + 21).toString(), 'patched in the middle');
      assert.ok(b.subarray(0, 1 << 20).equals(bytes(4 << 20, 7).subarray(0, 1 << 20)));
    },
    expect: { changed: { 'large/new.bin': 'file', 'data/big.bin': 'file' }, unchanged: ['etc'] },
  },
  {
    name: 'special files',
    run(r) {
      native().mknod(p(r, 'dev/zero'), 0o020666, 1, 5);
      native().mknod(p(r, 'dev/loopx'), 0o060660, 7, 200);
      native().mknod(p(r, 'dev/newfifo'), 0o010600, 0, 0);
      fs.unlinkSync(p(r, 'dev/fifo'));
    },
    check(r) {
      assert.ok(fs.lstatSync(p(r, 'dev/zero')).isCharacterDevice()); assert.ok(fs.lstatSync(p(r, 'dev/loopx')).isBlockDevice());
      assert.ok(fs.lstatSync(p(r, 'dev/newfifo')).isFIFO()); gone(r, 'dev/fifo'); assert.ok(fs.lstatSync(p(r, 'dev/null')).isCharacterDevice());
    },
    expect: { changed: { 'dev/zero': 'char', 'dev/loopx': 'block', 'dev/newfifo': 'fifo' }, whiteouts: ['dev/fifo'], unchanged: ['dev/null'] },
  },
];
