import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildContext, checksumSources, type Entry } from '@strata/context';
import { nativeDirScanner } from '@strata/snapshot';

/** A context with every kind of entry a walk meets. */
function makeTree(dir: string): void {
  const w = (rel: string, data: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), data);
  };
  w('Dockerfile', 'FROM scratch\n');
  w('.dockerignore', 'ignored\nsub/*.tmp\n!sub/keep.tmp\n');
  w('ignored/x', 'no');
  w('sub/a.tmp', 'no');
  w('sub/keep.tmp', 'yes');
  w('sub/deeper/ü-ñame with space', 'unicode');
  w('big.bin', 'x'.repeat(300_000));
  fs.chmodSync(path.join(dir, 'big.bin'), 0o4755);
  fs.symlinkSync('sub/keep.tmp', path.join(dir, 'link'));
  fs.symlinkSync('/nowhere', path.join(dir, 'dangling'));
  fs.linkSync(path.join(dir, 'Dockerfile'), path.join(dir, 'hardlink'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
  fs.chownSync(path.join(dir, 'sub', 'keep.tmp'), 1234, 5678);
  fs.mkdirSync(path.join(dir, 'empty'));
}

describe('context walk with the native directory scanner', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-walk-'));
    makeTree(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sees exactly what Node\'s readdir + lstat walk sees: every path, type, mode, owner, size, times, link', async () => {
    const viaNode = await BuildContext.open(dir);
    const viaNative = await BuildContext.open(dir, { scanDir: nativeDirScanner() });
    // Listing on the main thread only (no prefetch of directories on the thread pool): the same walk.
    const scan = nativeDirScanner();
    const viaNativeSync = await BuildContext.open(dir, { scanDir: (d: string) => scan(d) });
    assert.deepEqual([...viaNative.entries.keys()], [...viaNode.entries.keys()], 'same paths in the same order');
    assert.deepEqual([...viaNativeSync.entries.keys()], [...viaNode.entries.keys()]);
    assert.equal(viaNativeSync.entries.get('.')!.treeSig, viaNative.entries.get('.')!.treeSig);
    assert.ok(viaNode.entries.has('sub/keep.tmp') && !viaNode.entries.has('sub/a.tmp') && !viaNode.entries.has('ignored'));
    for (const [p, a] of viaNode.entries) {
      const b = viaNative.entries.get(p)!;
      // Every field of an Entry (the stat fields are getters over the scan's array, so name them).
      const fields = (e: Entry) => ({
        path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, dev: e.dev, ino: e.ino, rdev: e.rdev,
        mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, nlink: e.nlink, link: e.link, children: e.children, treeSig: e.treeSig,
      });
      const k2 = b.statKey;
      assert.deepEqual(fields(b), fields(a), p);
      assert.equal(k2 ?? `${a.dev}:${a.ino}:${a.size}:${a.mtimeNs}:${a.ctimeNs}`, `${a.dev}:${a.ino}:${a.size}:${a.mtimeNs}:${a.ctimeNs}`, `${p}: stat key`);
    }
    assert.equal(viaNative.entries.get('fifo')!.type, 'fifo');
    assert.equal(viaNative.entries.get('null')!.type, 'char');
    assert.equal(viaNative.entries.get('dangling')!.link, '/nowhere');
    assert.equal(viaNative.entries.get('big.bin')!.mode, 0o4755);
    assert.equal(viaNative.entries.get('sub/keep.tmp')!.uid, 1234);
  });

  it('gives the same checksums, and an index written by one walk is trusted by the other', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-walk-state-'));
    try {
      const a = await BuildContext.open(dir, { stateRoot: state, racyWindowNs: 0n });
      const sumA = await checksumSources(a, ['.']);
      await a.save();
      const b = await BuildContext.open(dir, { stateRoot: state, racyWindowNs: 0n, scanDir: nativeDirScanner() });
      const sumB = await checksumSources(b, ['.']);
      assert.equal(sumB.digest, sumA.digest);
      assert.deepEqual(sumB.files, sumA.files);
      assert.equal(b.stats.hashed, 0, 'nothing re-read: the native stat keys match the index');
      assert.ok(b.stats.reused > 0);
    } finally {
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('a changed file is caught through the native walk, even with the same size and mtime', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-walk-state-'));
    try {
      const scanDir = nativeDirScanner();
      const first = await BuildContext.open(dir, { stateRoot: state, racyWindowNs: 0n, scanDir });
      const before = await checksumSources(first, ['sub']);
      await first.save();
      const f = path.join(dir, 'sub', 'keep.tmp');
      const st = fs.statSync(f);
      fs.writeFileSync(f, 'YES');
      fs.utimesSync(f, st.atime, st.mtime);
      const second = await BuildContext.open(dir, { stateRoot: state, racyWindowNs: 0n, scanDir });
      const after = await checksumSources(second, ['sub']);
      assert.notEqual(after.digest, before.digest);
      assert.equal(second.stats.hashed, 1);
    } finally {
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
