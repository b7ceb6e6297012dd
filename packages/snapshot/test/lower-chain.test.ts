import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { LayerEntry } from '@strata/oci';
import { openSnapshotter, type Snapshotter } from '../src/index.js';
import { removeTestDir } from './support/cleanup.js';

/** A layer that writes f<i>, overwrites "shared", and (for i = 3) deletes f1. */
function layerEntries(i: number): LayerEntry[] {
  const file = (p: string, text: string): LayerEntry => ({
    path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, size: text.length, mtimeNs: 1_700_000_000_000_000_000n,
    open: () => Readable.from([Buffer.from(text)]),
  });
  const out = [file(`f${i}`, `layer ${i}`), file('shared', `from ${i}`)];
  if (i === 3) out.push({ path: 'f1', type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n });
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
async function buildChain(snap: Snapshotter, n: number): Promise<string> {
  let parent: string | undefined;
  for (let i = 0; i < n; i++) {
    await snap.prepare(`a${i}`, parent);
    await snap.applyEntries(`a${i}`, layerEntries(i));
    await snap.commit(`c${i}`, `a${i}`);
    parent = `c${i}`;
  }
  return parent!;
}

async function viewFiles(snap: Snapshotter, parent: string, work: string): Promise<Record<string, string>> {
  const key = `view-${Math.random()}`;
  const m = await snap.view(key, parent);
  const dir = fs.mkdtempSync(path.join(work, 'm-'));
  const release = await m.mount(dir);
  try {
    return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]));
  } finally {
    await release();
    await snap.remove(key);
  }
}

function expected(n: number): Record<string, string> {
  const out: Record<string, string> = { shared: `from ${n - 1}` };
  for (let i = 0; i < n; i++) if (i !== 1 || n <= 3) out[`f${i}`] = `layer ${i}`;
  return Object.fromEntries(Object.entries(out).sort());
}

describe('long layer chains', function () {
  let work: string;
  beforeEach(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapchain-')); });
  afterEach(() => removeTestDir(work));

  it('flattens the bottom of a chain deeper than the lower-dir limit', async function () {
    const root = path.join(work, 'root');
    const snap = await openSnapshotter({ root, driver: 'overlay', lowerLimits: { maxLowers: 3 } });
    const top = await buildChain(snap, 7);
    assert.deepEqual(await viewFiles(snap, top, work), expected(7));
    const flats = fs.readdirSync(path.join(root, 'flat'));
    assert.equal(flats.length, 1);
    // A writable step over the same chain reuses the flattened layer.
    const m = await snap.prepare('step', top);
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    const release = await m.mount(dir);
    fs.writeFileSync(path.join(dir, 'f0'), 'changed');
    await release();
    const changes: string[] = [];
    for await (const e of snap.changes('step')) changes.push(`${e.type} ${e.path}`);
    assert.deepEqual(changes, ['file f0']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'flat')), flats);
    // Removing a layer inside the flattened part drops the flattened copy.
    await snap.remove('step');
    for (let i = 6; i >= 0; i--) await snap.remove(`c${i}`);
    assert.deepEqual(fs.readdirSync(path.join(root, 'flat')), []);
    assert.deepEqual(fs.readdirSync(path.join(root, 'l')), []);
  });

  it('keeps overlay options within one page for a long root path', async function () {
    // Each lower is "<root>/l/XXXXXXXXXX"; with a 200-character root one page holds about 18 of them.
    const root = path.join(work, 'r'.repeat(200));
    const snap = await openSnapshotter({ root, driver: 'overlay' });
    const top = await buildChain(snap, 30);
    assert.deepEqual(await viewFiles(snap, top, work), expected(30));
    assert.equal(fs.readdirSync(path.join(root, 'flat')).length, 1);
  });

  it('flattens for the unionfs driver too', async function () {
    const snap = await openSnapshotter({ root: path.join(work, 'root'), driver: 'unionfs', unionfsBinary: '/usr/bin/fuse-overlayfs', lowerLimits: { maxLowers: 4 } });
    const top = await buildChain(snap, 9);
    assert.deepEqual(await viewFiles(snap, top, work), expected(9));
  });
});
