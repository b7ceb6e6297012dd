import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { native } from '@strata/native-overlay';
import type { LayerEntry } from '@strata/oci';
import { diffUpper, materialize } from '../src/index.js';
import { removeTestDir } from './support/cleanup.js';

async function collect(it: AsyncIterable<LayerEntry>): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('upper-dir differ', function () {
  let work: string;
  beforeEach(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapupper-')); });
  afterEach(() => removeTestDir(work));

  it('reads both whiteout formats and filters the union filesystems\' own xattrs', async function () {
    const up = path.join(work, 'upper');
    fs.mkdirSync(path.join(up, 'a/b'), { recursive: true });
    fs.mkdirSync(path.join(up, 'o'));
    fs.writeFileSync(path.join(up, 'a/b/f'), 'data');
    native().mkWhiteout(path.join(up, 'a/gone'));
    fs.writeFileSync(path.join(up, 'a/.wh.alsogone'), '');
    fs.writeFileSync(path.join(up, 'o/.wh..wh..opq'), '');
    native().setXattr(path.join(up, 'a'), 'trusted.overlay.opaque', Buffer.from('y'), 0);
    native().setXattr(path.join(up, 'a/b/f'), 'trusted.overlay.origin', Buffer.from([0, 1]), 0);
    native().setXattr(path.join(up, 'a/b/f'), 'user.fuseoverlayfs.origin', Buffer.from('x'), 0);
    native().setXattr(path.join(up, 'a/b/f'), 'user.keep', Buffer.from([0, 0xff]), 0);
    fs.writeFileSync(path.join(up, 'a/b/g'), 'data');
    fs.linkSync(path.join(up, 'a/b/f'), path.join(up, 'a/b/h'));
    const server = net.createServer().listen(path.join(up, 'a/sock'));
    await once(server, 'listening');
    const got = await collect(diffUpper(up));
    server.close();
    assert.deepEqual(got.map((e) => `${e.type} ${e.path}${e.linkname ? ` -> ${e.linkname}` : ''}`), [
      'dir a', 'opaque a', 'whiteout a/alsogone', 'dir a/b', 'file a/b/f', 'file a/b/g', 'hardlink a/b/h -> a/b/f',
      'whiteout a/gone', 'dir o', 'opaque o',
    ]);
    const f = got.find((e) => e.path === 'a/b/f')!;
    assert.deepEqual(f.xattrs, { 'user.keep': Buffer.from([0, 0xff]) });
    assert.equal(f.size, 4);
  });

  it('merges layers in either whiteout format when flattening', async function () {
    const [top, bottom, out] = ['top', 'bottom', 'out'].map((n) => path.join(work, n)) as [string, string, string];
    for (const d of ['d/keep', 'o', 'w']) fs.mkdirSync(path.join(bottom, d), { recursive: true });
    for (const f of ['d/x', 'd/keep/y', 'o/old', 'w/z', 'gone']) fs.writeFileSync(path.join(bottom, f), f);
    fs.mkdirSync(path.join(top, 'd'), { recursive: true });
    fs.mkdirSync(path.join(top, 'o'));
    fs.writeFileSync(path.join(top, 'd/.wh.x'), '');
    fs.writeFileSync(path.join(top, 'o/.wh..wh..opq'), '');
    fs.writeFileSync(path.join(top, 'o/new'), 'new');
    native().mkWhiteout(path.join(top, 'gone'));
    fs.writeFileSync(path.join(top, 'w'), 'file over dir');
    fs.mkdirSync(out);
    await materialize([top, bottom], out);
    const list = (d: string): string[] => fs.readdirSync(path.join(out, d)).sort();
    assert.deepEqual(list(''), ['d', 'o', 'w']);
    assert.deepEqual(list('d'), ['keep']);
    assert.deepEqual(list('o'), ['new']);
    assert.equal(fs.readFileSync(path.join(out, 'w'), 'utf8'), 'file over dir');
    assert.equal(fs.readFileSync(path.join(out, 'd/keep/y'), 'utf8'), 'd/keep/y');
  });
});
