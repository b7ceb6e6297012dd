// strata-unionfs gives the kernel long entry/attribute timeouts, negative entries and cached directory
// listings (every change to the tree goes through the mount, and lower layers never change). These scenarios
// prime the kernel's caches first, then change the tree through the mount, and check that what the kernel
// reports afterwards is the new state, not the cached one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Union } from './union-fixture.js';

function expectErrno(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: NodeJS.ErrnoException) => e.code === code);
}

for (const variant of ['release', 'ASan/UBSan', 'no passthrough'] as const) describe(`strata-unionfs kernel caches (${variant})`, function () {
  let u: Union;
  beforeEach(async () => {
    u = new Union(2);
    u.sanitized = variant === 'ASan/UBSan';
    fs.mkdirSync(u.l(1, 'd'));
    for (const n of ['a', 'b', 'c']) fs.writeFileSync(u.l(1, 'd', n), `lower ${n}`);
    fs.chmodSync(u.l(1, 'd', 'a'), 0o644);
    fs.mkdirSync(u.l(0, 'only'));
    fs.writeFileSync(u.l(0, 'only', 'x'), 'x');
    await u.mountUnionfs(variant === 'no passthrough' ? ['nopassthrough'] : []);
  });
  afterEach(async () => {
    await u.dispose();
    assert.doesNotMatch(u.stderr, /AddressSanitizer|runtime error|LeakSanitizer|exit status/, u.stderr);
  });

  it('stat after chmod, chown, utimes and truncate of a cached lower file shows the new attributes', () => {
    const before = fs.statSync(u.m('d', 'a'));
    assert.equal(before.mode & 0o7777, 0o644);
    fs.chmodSync(u.m('d', 'a'), 0o600);
    assert.equal(fs.statSync(u.m('d', 'a')).mode & 0o7777, 0o600);
    fs.chownSync(u.m('d', 'a'), 123, 456);
    const owned = fs.statSync(u.m('d', 'a'));
    assert.deepEqual([owned.uid, owned.gid], [123, 456]);
    fs.utimesSync(u.m('d', 'a'), 1000, 2000);
    assert.equal(fs.statSync(u.m('d', 'a')).mtimeMs, 2000_000);
    fs.truncateSync(u.m('d', 'a'), 3);
    assert.equal(fs.statSync(u.m('d', 'a')).size, 3);
    assert.equal(fs.readFileSync(u.m('d', 'a'), 'utf8'), 'low');
    assert.equal(fs.statSync(u.m('d', 'a')).ino, before.ino, 'copy-up keeps the inode number');
  });

  it('size and content follow writes through another descriptor after the first read', () => {
    assert.equal(fs.readFileSync(u.m('d', 'b'), 'utf8'), 'lower b'); // page cache and attributes primed
    const size = fs.statSync(u.m('d', 'b')).size;
    fs.appendFileSync(u.m('d', 'b'), ' and more');
    assert.equal(fs.statSync(u.m('d', 'b')).size, size + 9);
    assert.equal(fs.readFileSync(u.m('d', 'b'), 'utf8'), 'lower b and more');
    fs.writeFileSync(u.m('d', 'b'), 'new');
    assert.equal(fs.readFileSync(u.m('d', 'b'), 'utf8'), 'new');
    assert.equal(fs.readFileSync(u.u('d', 'b'), 'utf8'), 'new');
  });

  it('a cached listing and cached misses see creates, unlinks and renames', () => {
    assert.deepEqual(fs.readdirSync(u.m('d')).sort(), ['a', 'b', 'c']);
    expectErrno(() => fs.statSync(u.m('d', 'new')), 'ENOENT'); // a negative entry is now cached
    fs.writeFileSync(u.m('d', 'new'), 'n');
    assert.equal(fs.readFileSync(u.m('d', 'new'), 'utf8'), 'n');
    assert.deepEqual(fs.readdirSync(u.m('d')).sort(), ['a', 'b', 'c', 'new']);
    fs.unlinkSync(u.m('d', 'a'));
    expectErrno(() => fs.statSync(u.m('d', 'a')), 'ENOENT');
    assert.deepEqual(fs.readdirSync(u.m('d')).sort(), ['b', 'c', 'new']);
    expectErrno(() => fs.statSync(u.m('d', 'moved')), 'ENOENT');
    fs.renameSync(u.m('d', 'b'), u.m('d', 'moved'));
    expectErrno(() => fs.statSync(u.m('d', 'b')), 'ENOENT');
    assert.equal(fs.readFileSync(u.m('d', 'moved'), 'utf8'), 'lower b');
    assert.deepEqual(fs.readdirSync(u.m('d')).sort(), ['c', 'moved', 'new']);
    fs.writeFileSync(u.m('d', 'a'), 'again'); // re-create over the whiteout
    assert.equal(fs.readFileSync(u.m('d', 'a'), 'utf8'), 'again');
    assert.deepEqual(fs.readdirSync(u.m('d')).sort(), ['a', 'c', 'moved', 'new']);
  });

  it('rename over a cached target shows the source in its place', () => {
    const src = fs.statSync(u.m('d', 'c'));
    fs.statSync(u.m('d', 'a'));
    fs.renameSync(u.m('d', 'c'), u.m('d', 'a'));
    const now = fs.statSync(u.m('d', 'a'));
    assert.equal(now.ino, src.ino);
    assert.equal(fs.readFileSync(u.m('d', 'a'), 'utf8'), 'lower c');
    expectErrno(() => fs.statSync(u.m('d', 'c')), 'ENOENT');
  });

  it('link counts follow link and unlink of a cached file', () => {
    assert.equal(fs.statSync(u.m('d', 'c')).nlink, 1);
    fs.linkSync(u.m('d', 'c'), u.m('d', 'c2'));
    assert.equal(fs.statSync(u.m('d', 'c')).nlink, 2);
    assert.equal(fs.statSync(u.m('d', 'c2')).ino, fs.statSync(u.m('d', 'c')).ino);
    fs.unlinkSync(u.m('d', 'c2'));
    assert.equal(fs.statSync(u.m('d', 'c')).nlink, 1);
  });

  it('a lower-only directory that gains an upper reports a merged link count and lists new entries', () => {
    assert.deepEqual(fs.readdirSync(u.m('only')), ['x']);
    assert.equal(fs.statSync(u.m('only')).nlink, 2, 'a lower-only dir reports its real link count');
    fs.mkdirSync(u.m('only', 'sub'));
    assert.equal(fs.statSync(u.m('only')).nlink, 1, 'merged now: 1, as the kernel overlay says');
    assert.deepEqual(fs.readdirSync(u.m('only')).sort(), ['sub', 'x']);
    assert.ok(fs.statSync(u.m('only', 'sub')).isDirectory());
    fs.rmdirSync(u.m('only', 'sub'));
    assert.deepEqual(fs.readdirSync(u.m('only')), ['x']);
    expectErrno(() => fs.statSync(u.m('only', 'sub')), 'ENOENT');
  });
});
