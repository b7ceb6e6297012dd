import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSnapshotter, type Snapshotter } from '../src/index.js';
import { removeTestDir } from './support/cleanup.js';

async function changes(snap: Snapshotter, key: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of snap.changes(key)) out.push(`${e.type} ${e.path}`);
  return out;
}

describe('naive differ (copy driver)', function () {
  let work: string;
  let snap: Snapshotter;
  let base: string;

  beforeEach(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapnaive-'));
    snap = await openSnapshotter({ root: path.join(work, 'root'), driver: 'copy' });
    const m = await snap.prepare('b', undefined);
    base = m.path!;
    fs.mkdirSync(path.join(base, 'd'));
    fs.writeFileSync(path.join(base, 'd/f'), 'same size');
    fs.writeFileSync(path.join(base, 'g'), 'g');
    fs.utimesSync(path.join(base, 'd/f'), 1_600_000_000, 1_600_000_000);
    await snap.commit('base', 'b');
  });
  afterEach(() => removeTestDir(work));

  it('gives the copy as a plain directory and finds nothing when nothing changed', async function () {
    const m = await snap.prepare('s', 'base');
    assert.equal(fs.readFileSync(path.join(m.path!, 'd/f'), 'utf8'), 'same size');
    assert.deepEqual(await changes(snap, 's'), []);
  });

  it('counts an mtime-only change of a file', async function () {
    const m = await snap.prepare('s', 'base');
    fs.utimesSync(path.join(m.path!, 'd/f'), 1_600_000_100, 1_600_000_100);
    assert.deepEqual(await changes(snap, 's'), ['dir d', 'file d/f']);
  });

  it('ignores a directory whose only change is its mtime', async function () {
    const m = await snap.prepare('s', 'base');
    fs.writeFileSync(path.join(m.path!, 'd/tmp'), 'x');
    fs.unlinkSync(path.join(m.path!, 'd/tmp'));
    assert.deepEqual(await changes(snap, 's'), []);
  });

  it('does not trust equal size and mtime for a file written after the copy', async function () {
    const m = await snap.prepare('s', 'base');
    fs.writeFileSync(path.join(m.path!, 'd/f'), 'SAME SIZE');
    fs.utimesSync(path.join(m.path!, 'd/f'), 1_600_000_000, 1_600_000_000);
    assert.deepEqual(await changes(snap, 's'), ['dir d', 'file d/f']);
    await snap.commit('next', 's');
    const v = await snap.prepare('v', 'next');
    assert.equal(fs.readFileSync(path.join(v.path!, 'd/f'), 'utf8'), 'SAME SIZE');
  });

  it('reflinks or copies the parent chain and keeps hardlinks', async function () {
    const m = await snap.prepare('s', 'base');
    fs.linkSync(path.join(m.path!, 'g'), path.join(m.path!, 'g2'));
    assert.deepEqual(await changes(snap, 's'), ['file g', 'hardlink g2']);
    await snap.commit('linked', 's');
    const v = await snap.prepare('v', 'linked');
    assert.equal(fs.statSync(path.join(v.path!, 'g')).ino, fs.statSync(path.join(v.path!, 'g2')).ino);
  });
});
