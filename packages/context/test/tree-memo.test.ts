import { strict as assert } from 'node:assert';
import { appendFile, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildContext, checksumSources, type ChecksumOptions } from '../src/index.js';
import { contextFixture } from './helpers.js';

describe('context: tree memo (checksums of unchanged directories)', () => {
  const dirs = contextFixture({ 'src/app.js': 'console.log(1)\n', 'src/lib/b.txt': 'bbbb', 'src/lib/c.txt': 'cc', 'big.bin': 'x'.repeat(3 << 20) });

  const open = (o: { racyWindowNs?: bigint; ignorePatterns?: string[] } = {}) =>
    BuildContext.open(dirs.ctxDir, { stateRoot: dirs.stateRoot, ignorePatterns: o.ignorePatterns ?? [], racyWindowNs: o.racyWindowNs ?? 0n });
  /** The checksum without any memo (no state root): what a remembered digest must equal. */
  const fresh = async (sources: string[], opts: ChecksumOptions = {}, ignorePatterns: string[] = []) =>
    (await checksumSources(await BuildContext.open(dirs.ctxDir, { ignorePatterns, racyWindowNs: 0n }), sources, opts)).digest;
  const build = async (sources: string[], opts: ChecksumOptions = {}, o: { racyWindowNs?: bigint; ignorePatterns?: string[] } = {}) => {
    const ctx = await open(o);
    const sum = await checksumSources(ctx, sources, opts);
    await ctx.save();
    return { ctx, sum };
  };

  it('answers an unchanged tree from the memo: nothing hashed, the same digest, the same per-file list', async () => {
    const a = await build(['src']);
    assert.equal(a.ctx.stats.hashed, 3);
    const b = await build(['src']);
    assert.equal(b.ctx.stats.hashed, 0);
    assert.equal(b.ctx.stats.reused, 3, 'the remembered tree counts its files as reused');
    assert.equal(b.sum.digest, a.sum.digest);
    assert.deepEqual(b.sum.files, a.sum.files, 'the list is made from the stat index on demand');
    assert.equal(b.sum.digest, await fresh(['src']));
  });

  it('misses after an edit deep in the tree that keeps size and mtime', async () => {
    const file = path.join(dirs.ctxDir, 'src', 'lib', 'b.txt');
    await utimes(file, 1_700_000_000, 1_700_000_000);
    const a = await build(['src']);
    await build(['src']); // remembered
    await writeFile(file, 'BBBB');
    await utimes(file, 1_700_000_000, 1_700_000_000);
    const c = await build(['src']);
    assert.equal(c.ctx.stats.hashed, 1);
    assert.notEqual(c.sum.digest, a.sum.digest);
    assert.equal(c.sum.digest, await fresh(['src']));
  });

  it('misses when a file is added, removed or newly ignored below the tree', async () => {
    const a = await build(['.']);
    await writeFile(path.join(dirs.ctxDir, 'src', 'lib', 'new.txt'), 'n');
    const b = await build(['.']);
    assert.notEqual(b.sum.digest, a.sum.digest);
    assert.equal(b.sum.digest, await fresh(['.']));
    const c = await build(['.'], {}, { ignorePatterns: ['src/lib/new.txt'] });
    assert.equal(c.sum.digest, a.sum.digest, 'ignoring the new file gives the old tree back');
    assert.equal(c.sum.digest, await fresh(['.'], {}, ['src/lib/new.txt']));
  });

  it('keeps --chmod/--chown checksums apart from plain ones, and --exclude never uses the memo', async () => {
    await build(['src']);
    const chmod = await build(['src'], { dropMode: true });
    assert.equal(chmod.sum.digest, await fresh(['src'], { dropMode: true }));
    const again = await build(['src'], { dropMode: true });
    assert.equal(again.ctx.stats.hashed, 0);
    assert.equal(again.sum.digest, chmod.sum.digest);
    const plain = await build(['src']);
    assert.notEqual(plain.sum.digest, chmod.sum.digest);
    const excl = await build(['src'], { excludes: ['lib'] });
    assert.equal(excl.sum.digest, await fresh(['src'], { excludes: ['lib'] }));
    assert.notEqual(excl.sum.digest, plain.sum.digest);
  });

  it('remembers no tree holding a racy record, and ignores a corrupt memo file', async () => {
    const slow = { racyWindowNs: 2_000_000_000n };
    await build(['src'], {}, slow);
    const b = await build(['src'], {}, slow);
    assert.equal(b.ctx.stats.hashed, 3, 'files written 5 ms before hashing are racy: neither index nor memo trusts them');
    const memo = path.join(dirs.stateRoot, 'contexts', b.ctx.id, 'trees');
    assert.equal(JSON.parse(await readFile(memo, 'utf8').catch(() => '{"trees":{}}')).trees['src\0'], undefined);

    const c = await build(['src']);
    await writeFile(memo, '{"version": 1, "trees": {"src\\u0000": ["x", ');
    const d = await build(['src']);
    assert.equal(d.sum.digest, c.sum.digest);
    assert.equal(d.sum.digest, await fresh(['src']));
  });

  it('a mode change on a directory below the tree is a miss', async () => {
    const a = await build(['src']);
    const dir = path.join(dirs.ctxDir, 'src', 'lib');
    const before = (await stat(dir)).mode & 0o7777;
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, before === 0o700 ? 0o755 : 0o700);
    const b = await build(['src']);
    assert.notEqual(b.sum.digest, a.sum.digest);
    assert.equal(b.sum.digest, await fresh(['src']));
    await appendFile(path.join(dir, 'c.txt'), 'more');
    const c = await build(['src']);
    assert.notEqual(c.sum.digest, b.sum.digest);
    assert.equal(c.sum.digest, await fresh(['src']));
  });
});
