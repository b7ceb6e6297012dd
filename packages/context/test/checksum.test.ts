import { strict as assert } from 'node:assert';
import { chmod, chown, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { BuildContext, SourceNotFoundError, checksumSources, sourceChecksumFor, type XattrReader } from '../src/index.js';
import { makeTree, tempDir } from './helpers.js';

describe('context: Merkle checksums of COPY sources', () => {
  let dir = '';
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    [dir, cleanup] = await tempDir('strata-sum-');
    await makeTree(dir, {
      'src/app.js': 'app', 'src/lib/util.js': 'util', 'src/readme.md': 'readme', 'a.txt': 'A', 'b.txt': 'B',
      'ignored.log': 'log', '.dockerignore': '*.log\n',
    });
    await symlink('src/app.js', path.join(dir, 'entry'));
    await symlink('../../etc', path.join(dir, 'escape'));
  });
  afterEach(() => cleanup());

  const sum = async (sources: string[], opts = {}) => checksumSources(await BuildContext.open(dir), sources, opts);

  it('reads exactly the paths of the sources', async () => {
    assert.deepEqual(Object.keys((await sum(['src'])).files).sort(), ['src', 'src/app.js', 'src/lib', 'src/lib/util.js', 'src/readme.md']);
    assert.deepEqual(Object.keys((await sum(['*.txt'])).files).sort(), ['a.txt', 'b.txt']);
    assert.deepEqual(Object.keys((await sum(['src/*/*.js'])).files), ['src/lib/util.js']);
    assert.deepEqual(Object.keys((await sum(['./src/../a.txt'])).files), ['a.txt']);
  });

  it('changes when content in the tree changes and only then', async () => {
    const before = await sum(['src']);
    assert.equal((await sum(['src'])).digest, before.digest, 'stable');
    assert.equal((await sum(['a.txt'])).digest, (await sum(['a.txt'])).digest);
    await makeTree(dir, { 'a.txt': 'changed' });
    assert.equal((await sum(['src'])).digest, before.digest, 'a file outside the source does not matter');
    await makeTree(dir, { 'src/lib/util.js': 'UTIL' });
    const after = await sum(['src']);
    assert.notEqual(after.digest, before.digest);
    const changed = Object.keys(after.files).filter((p) => after.files[p] !== before.files[p]);
    assert.deepEqual(changed, ['src/lib/util.js']);
    await makeTree(dir, { 'src/new.js': '' });
    assert.notEqual((await sum(['src'])).digest, after.digest, 'an added file changes the digest');
  });

  it('ignores mtime', async () => {
    const before = await sum(['src']);
    await utimes(path.join(dir, 'src/app.js'), 1_000_000, 1_000_000);
    assert.equal((await sum(['src'])).digest, before.digest);
  });

  it('covers mode unless --chmod, and owner unless --chown', async () => {
    const base = await sum(['a.txt']);
    const baseNoMode = await sum(['a.txt'], { dropMode: true });
    await chmod(path.join(dir, 'a.txt'), 0o755);
    const moded = await sum(['a.txt']);
    assert.notEqual(moded.digest, base.digest);
    assert.equal(moded.files['a.txt']!.split(':')[0], base.files['a.txt']!.split(':')[0], 'content part unchanged');
    assert.notEqual(moded.files['a.txt'], base.files['a.txt']);
    assert.equal((await sum(['a.txt'], { dropMode: true })).digest, baseNoMode.digest);

    const baseNoOwner = await sum(['a.txt'], { dropOwner: true });
    await chown(path.join(dir, 'a.txt'), 4242, 4343);
    assert.notEqual((await sum(['a.txt'])).digest, moded.digest);
    assert.equal((await sum(['a.txt'], { dropOwner: true })).digest, baseNoOwner.digest);
  });

  it('covers xattrs through the injected reader, except host labels', async () => {
    const mk = (value: string): XattrReader => async (p) => (p.endsWith('a.txt')
      ? [['user.test', Buffer.from(value)], ['security.selinux', Buffer.from(Math.random().toString())]]
      : []);
    const one = await checksumSources(await BuildContext.open(dir, { readXattrs: mk('1') }), ['a.txt']);
    const again = await checksumSources(await BuildContext.open(dir, { readXattrs: mk('1') }), ['a.txt']);
    const two = await checksumSources(await BuildContext.open(dir, { readXattrs: mk('2') }), ['a.txt']);
    assert.equal(one.digest, again.digest);
    assert.notEqual(one.digest, two.digest);
    assert.notEqual(one.digest, (await sum(['a.txt'])).digest);
  });

  it('follows a symlink source inside the context and hashes links inside directories as links', async () => {
    const viaLink = await sum(['entry']);
    assert.deepEqual(Object.keys(viaLink.files), ['src/app.js']);
    assert.equal(viaLink.files['src/app.js'], (await sum(['src/app.js'])).files['src/app.js']);
    await makeTree(dir, { 'd/': '' });
    await symlink('../a.txt', path.join(dir, 'd', 'l'));
    const d = await sum(['d']);
    assert.deepEqual(Object.keys(d.files).sort(), ['d', 'd/l']);
  });

  it('never leaves the context through a symlink or ..', async () => {
    await assert.rejects(sum(['escape/passwd']), SourceNotFoundError);
    await assert.rejects(sum(['../../../etc/passwd']), SourceNotFoundError);
    assert.deepEqual(Object.keys((await sum(['../a.txt'])).files), ['a.txt']);
  });

  it('fails for a missing or ignored source, naming it; an empty wildcard is allowed', async () => {
    await assert.rejects(sum(['nope.txt']), (e: Error) => e instanceof SourceNotFoundError && e.message.includes('"nope.txt" not found'));
    await assert.rejects(sum(['ignored.log']), SourceNotFoundError);
    assert.deepEqual((await sum(['*.none'])).files, {});
    await assert.rejects(sum(['*.none'], { allowEmptyWildcard: false }), SourceNotFoundError);
  });

  it('applies --exclude patterns relative to each source', async () => {
    const s = await sum(['src'], { excludes: ['*.md', 'lib'] });
    assert.deepEqual(Object.keys(s.files).sort(), ['src', 'src/app.js']);
    const before = s.digest;
    await makeTree(dir, { 'src/readme.md': 'edited', 'src/lib/util.js': 'edited' });
    assert.equal((await sum(['src'], { excludes: ['*.md', 'lib'] })).digest, before);
    assert.deepEqual(Object.keys((await sum(['*.txt'], { excludes: ['b.txt'] })).files), ['a.txt']);
  });

  it('distinguishes which sources produced which files', async () => {
    assert.notEqual((await sum(['a.txt', 'b.txt'])).digest, (await sum(['b.txt', 'a.txt'])).digest);
    assert.notEqual((await sum(['src/app.js'])).digest, (await sum(['entry'])).digest);
  });
});

describe('context: COPY source patterns', () => {
  let dir = '';
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    [dir, cleanup] = await tempDir('strata-pat-');
    await makeTree(dir, {
      'file1.c': '1', 'file2.h': '2', 'file3.o': '3', 'pkg/a/go.mod': 'a', 'pkg/b/go.mod': 'b', 'pkg/b/main.go': 'm',
      'dir/sub/x.txt': 'x', 'dir/keep.md': 'k', 'dir/drop.md': 'd',
    });
  });
  afterEach(() => cleanup());
  const sum = async (sources: string[], opts = {}) => checksumSources(await BuildContext.open(dir), sources, opts);

  it('matches character classes and ? per element', async () => {
    assert.deepEqual(Object.keys((await sum(['file?.[ch]'])).files), ['file1.c', 'file2.h']);
    assert.deepEqual(Object.keys((await sum(['file[^1-2].*'])).files), ['file3.o']);
  });

  it('matches wildcards in directory elements and keeps the matched paths apart', async () => {
    const s = await sum(['pkg/*/go.mod']);
    assert.deepEqual(Object.keys(s.files), ['pkg/a/go.mod', 'pkg/b/go.mod']);
    const one = await sum(['pkg/a/go.mod', 'pkg/b/go.mod']);
    assert.notEqual(s.digest, one.digest, 'the source list is part of the digest');
  });

  it('honours --exclude exceptions inside a source directory', async () => {
    const s = await sum(['dir'], { excludes: ['*.md', '!keep.md'] });
    assert.deepEqual(Object.keys(s.files).sort(), ['dir', 'dir/keep.md', 'dir/sub', 'dir/sub/x.txt']);
  });

  it('treats a trailing slash and ./ prefixes as the same directory', async () => {
    assert.equal((await sum(['dir/'])).digest, (await sum(['./dir'])).digest);
    assert.equal((await sum(['/dir'])).digest, (await sum(['dir'])).digest);
  });

  it('rejects a bad --exclude pattern naming it', async () => {
    await assert.rejects(sum(['dir'], { excludes: ['[z-a]'] }), /--exclude: bad pattern "\[z-a\]"/);
  });
});

describe('context: sourceChecksumFor', () => {
  it('answers planner-shaped requests and refuses URLs', async () => {
    const [dir, cleanup] = await tempDir('strata-req-');
    try {
      await makeTree(dir, { 'a.txt': 'A', 'd/b.md': 'B' });
      const ctx = await BuildContext.open(dir);
      const fn = sourceChecksumFor(ctx);
      const viaFn = await fn({ sources: ['d'], exclude: ['*.md'], dropMode: true, dropOwner: false });
      assert.deepEqual(viaFn, await checksumSources(ctx, ['d'], { excludes: ['*.md'], dropMode: true }));
      await assert.rejects(fn({ sources: ['https://example.invalid/x'], exclude: [], dropMode: false, dropOwner: false }),
        /a URL is not a path of the build context/);
    } finally {
      await cleanup();
    }
  });
});

describe('context: symlink loops', () => {
  it('reports a loop in one line instead of hanging', async () => {
    const [dir, cleanup] = await tempDir('strata-loop-');
    try {
      await symlink('b', path.join(dir, 'a'));
      await symlink('a', path.join(dir, 'b'));
      await assert.rejects(checksumSources(await BuildContext.open(dir), ['a/x']), /a\/x: too many levels of symbolic links/);
      const whole = await checksumSources(await BuildContext.open(dir), ['.']);
      assert.deepEqual(Object.keys(whole.files).sort(), ['.', 'a', 'b'], 'links inside a copied tree are kept as links');
    } finally {
      await cleanup();
    }
  });
});
