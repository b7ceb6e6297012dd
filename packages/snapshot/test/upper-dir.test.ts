import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSnapshotter, type DriverName, type Snapshotter } from '../src/index.js';
import { removeTestDir } from './support/cleanup.js';

// Mountable.upper: below a directory the mount created itself, writing the upper dir after release must give
// the same change set as writing through the mount (the builder's COPY into a new directory relies on it).
describe('snapshot upper dir (Mountable.upper)', function () {
  let work: string;

  beforeEach(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapupper-'));
  });
  afterEach(function () {
    removeTestDir(work);
  });

  /** base: keep/a, gone/b and the file was-file; top: gone deleted (a whiteout below the snapshots prepared on it). */
  async function parentChain(snap: Snapshotter): Promise<string> {
    const layer = async (name: string, parent: string | undefined, change: (dir: string) => void) => {
      const m = await snap.prepare(`${name}-active`, parent);
      const dir = fs.mkdtempSync(path.join(work, 'm-'));
      const release = await m.mount(dir);
      change(dir);
      await release();
      await snap.commit(name, `${name}-active`);
    };
    await layer('base', undefined, (d) => {
      fs.mkdirSync(path.join(d, 'keep'));
      fs.writeFileSync(path.join(d, 'keep', 'a'), 'a');
      fs.mkdirSync(path.join(d, 'gone'));
      fs.writeFileSync(path.join(d, 'gone', 'b'), 'b');
      fs.writeFileSync(path.join(d, 'was-file'), 'f');
    });
    await layer('top', 'base', (d) => fs.rmSync(path.join(d, 'gone'), { recursive: true }));
    return 'top';
  }

  const made = ['gone', 'fresh', 'was-file'];

  /** Through the mount: the new directories `gone` (deleted below), `fresh` and `was-file` (a file below). */
  function makeDirs(dir: string): void {
    fs.rmSync(path.join(dir, 'was-file'));
    for (const d of made) fs.mkdirSync(path.join(dir, d));
  }

  /** Files written below the new directories. */
  function fill(dir: string): void {
    for (const d of made) {
      fs.mkdirSync(path.join(dir, d, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, d, 'sub', 'x'), 'x'.repeat(10), { mode: 0o640 });
      fs.symlinkSync('sub/x', path.join(dir, d, 'link'));
      fs.lutimesSync(path.join(dir, d, 'link'), 3000, 3000);
      fs.utimesSync(path.join(dir, d, 'sub', 'x'), 1000, 1000);
      fs.utimesSync(path.join(dir, d, 'sub'), 2000, 2000);
    }
  }

  async function changeSet(snap: Snapshotter, key: string): Promise<string[]> {
    const out: string[] = [];
    for await (const e of snap.changes(key)) {
      const mtime = e.type === 'dir' && made.includes(e.path) ? '' : ` ${e.mtimeNs / 1_000_000_000n}`;
      out.push(`${e.path} ${e.type} ${e.mode.toString(8)} ${e.size} ${e.linkname ?? ''}${mtime}`);
    }
    return out;
  }

  for (const driver of ['overlay', 'copy'] as DriverName[]) {
    it(`${driver}: writing the upper dir after release equals writing through the mount`, async function () {
      const snap = await openSnapshotter({ root: path.join(work, 'root'), driver });
      const parent = await parentChain(snap);

      const through = await snap.prepare('through', parent);
      const d1 = fs.mkdtempSync(path.join(work, 'm-'));
      const r1 = await through.mount(d1);
      makeDirs(d1);
      fill(d1);
      await r1();

      const direct = await snap.prepare('direct', parent);
      assert.ok(direct.upper, `${driver} active snapshots have an upper dir`);
      const d2 = fs.mkdtempSync(path.join(work, 'm-'));
      const r2 = await direct.mount(d2);
      makeDirs(d2);
      await r2();
      fill(direct.upper);

      const expected = await changeSet(snap, 'through');
      if (driver === 'overlay') assert.ok(expected.includes('was-file opaque 0 0  0'), `the directory made in place of a file is opaque: ${expected.join(', ')}`);
      assert.ok(expected.includes('fresh/sub/x file 640 10  1000'), expected.join(', '));
      assert.deepEqual(await changeSet(snap, 'direct'), expected);
    });
  }

  it('is not offered for views', async function () {
    const snap = await openSnapshotter({ root: path.join(work, 'root') });
    const parent = await parentChain(snap);
    assert.equal((await snap.view('v', parent)).upper, undefined);
  });
});
