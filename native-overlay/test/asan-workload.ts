// Run by asan-binding.test.ts in a child node with libasan preloaded: drives the sanitized addon hard.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBinding, NativeError } from '../lib/index.js';

const b = loadBinding(process.argv[2]!);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-asan-'));
const p = (n: string) => path.join(dir, n);
const fails = (fn: () => unknown) => assert.throws(fn, NativeError);
try {
  for (let round = 0; round < 200; round++) {
    const f = p(`f${round}`);
    fs.writeFileSync(f, 'x');
    const big = Buffer.alloc(1000 + round * 13, round & 0xff);
    b.setXattr(f, 'user.big', big, 0);
    assert.deepEqual(b.getXattr(f, 'user.big'), big);
    b.setXattr(f, 'user.empty', Buffer.alloc(0), 0);
    assert.equal(b.listXattr(f).length, 2);
    b.removeXattr(f, 'user.empty');
    assert.equal(b.getXattr(f, 'user.empty'), null);
    b.lutimesNs(f, BigInt(round) * 1_000_000_007n, -BigInt(round) * 3n);
    assert.equal(b.lstatNs(f).atimeNs, BigInt(round) * 1_000_000_007n);
    b.lchown(f, round, round);
    b.rename2(f, p(`g${round}`), 1);
    b.mkWhiteout(p(`w${round}`));
    b.mknod(p(`fifo${round}`), fs.constants.S_IFIFO | 0o600, 0, 0);
    b.cloneFile(p(`g${round}`), p(`c${round}`));
    fails(() => b.getXattr(p('missing'), 'user.x'));
    fails(() => b.rename2(p('missing'), p('x'), 0));
    fails(() => b.mountOverlay(p('missing'), [p('a'), p('b')], null, null, ['x'.repeat(5000)]));
    fails(() => b.unmount(p('missing'), 0));
    fails(() => b.lstatNs('x'.repeat(10000)));
    const loose = b as unknown as Record<string, (...a: unknown[]) => unknown>;
    fails(() => loose.setXattr!(f, 'user.a', 'str', 0));
    fails(() => loose.mountOverlay!(p('m'), [1, 2], null, null, []));
    fails(() => loose.lutimesNs!(f, 2n ** 70n, 0n));
    fails(() => loose.mknod!(f, -1, 0, 0));
  }
  // lstatDir over the directory the loop filled (files, links made by rename, whiteouts, fifos), and bad input.
  for (let i = 0; i < 20; i++) {
    const listed = b.lstatDir(dir);
    assert.equal(listed.names.length, fs.readdirSync(dir).length);
    assert.equal(listed.stats.length, listed.names.length * 10);
    assert.equal(listed.keys.length, listed.names.length);
    // With xattr list sizes: the files that kept user.big list it, the rest (whiteouts, fifos) list nothing.
    const withX = b.lstatDir(dir, true);
    assert.equal(withX.xattrBytes.length, withX.names.length);
    withX.names.forEach((name, j) => assert.equal(withX.xattrBytes[j], b.listXattr(path.join(dir, name)).reduce((n, x) => n + x.length + 1, 0), name));
  }
  fails(() => (b as unknown as Record<string, (...a: unknown[]) => unknown>).lstatDir!(dir, 'yes'));
  // copySmallFiles on the thread pool: a directory's files copied, then every one again (EEXIST), then bad input.
  const copies = p('copies');
  fs.mkdirSync(copies);
  const names = fs.readdirSync(dir).filter((n) => fs.lstatSync(path.join(dir, n)).isFile());
  const params = new Float64Array(names.flatMap((n) => [fs.statSync(path.join(dir, n)).size, 0o644, 0, 0, 1.5, 3]));
  const copied = await b.copySmallFiles(dir, copies, names, params);
  assert.deepEqual(copied.data, Buffer.concat(names.map((n) => fs.readFileSync(path.join(dir, n)))));
  assert.equal(copied.sizes.length, names.length);
  await assert.rejects(b.copySmallFiles(dir, copies, names, params));
  await assert.rejects(b.copySmallFiles(p('missing'), copies, names, params));
  fails(() => (b as unknown as Record<string, (...a: unknown[]) => unknown>).copySmallFiles!(dir, copies, names, new Float64Array(1)));
  const listedAsync = await Promise.all([b.lstatDirAsync(dir), b.lstatDirAsync(dir)]);
  for (const l of listedAsync) assert.deepEqual(l.names, b.lstatDir(dir).names);
  await assert.rejects(b.lstatDirAsync(p('missing')), NativeError);
  fails(() => (b as unknown as Record<string, (...a: unknown[]) => unknown>).lstatDirAsync!(42));
  fails(() => b.lstatDir(p('missing')));
  fails(() => b.lstatDir(p('g0')));
  fails(() => b.lstatDir('x'.repeat(10000)));
  fails(() => (b as unknown as Record<string, (...a: unknown[]) => unknown>).lstatDir!(42));
  b.syncfs(dir);
  console.log('workload ok');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
