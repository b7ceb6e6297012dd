import { strict as assert } from 'node:assert';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractLayer, NodeExtractFs, writeLayerTar, type ExtractFs, type LayerEntry } from '../src/index.js';
import { dirEntry, fileEntry } from './tar-helpers.js';

/** Records what the extractor asks of the native layer, doing the parts Node can. */
class RecordingFs extends NodeExtractFs implements ExtractFs {
  calls: string[] = [];
  override async whiteout(p: string): Promise<void> {
    this.calls.push(`whiteout ${path.basename(p)}`);
    await super.whiteout(p);
  }
  override async setOpaque(p: string): Promise<void> {
    this.calls.push(`opaque ${path.basename(p)}`);
  }
  override async setXattr(p: string, name: string, value: Buffer): Promise<boolean> {
    this.calls.push(`xattr ${path.basename(p)} ${name}=${value.toString('hex')}`);
    return true;
  }
  override async lchown(p: string, uid: number, gid: number): Promise<void> {
    this.calls.push(`chown ${path.basename(p)} ${uid}:${gid}`);
    await super.lchown(p, uid, gid);
  }
}

describe('extraction through an ExtractFs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'strata-xfs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const layer: LayerEntry[] = [
    dirEntry('d'),
    { path: 'd', type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
    fileEntry('d/cap', 'x', { uid: 7, gid: 8, xattrs: { 'security.capability': Buffer.from([1, 0, 0, 2, 0xff]) } }),
    { path: 'gone', type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtimeNs: 0n },
  ];

  it("'overlay' mode records whiteouts as 0/0 char devices and opaque dirs through the ExtractFs", async () => {
    writeFileSync(path.join(dir, 'gone'), 'lower');
    const fs = new RecordingFs();
    const st = await extractLayer(writeLayerTar(layer), dir, { fs, whiteouts: 'overlay', sameOwner: true });
    assert.deepEqual(fs.calls, ['chown d 0:0', 'opaque d', 'chown cap 7:8', 'xattr cap security.capability=01000002ff', 'whiteout gone']);
    const wh = lstatSync(path.join(dir, 'gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(st.skippedXattrs, 0);
  });

  it("'apply' mode deletes whited-out paths and clears opaque dirs; Node's fs skips xattrs and counts them", async () => {
    writeFileSync(path.join(dir, 'gone'), 'lower');
    mkdirSync(path.join(dir, 'd'));
    writeFileSync(path.join(dir, 'd', 'old'), 'lower');
    const st = await extractLayer(writeLayerTar(layer), dir);
    assert.throws(() => lstatSync(path.join(dir, 'gone')));
    assert.throws(() => lstatSync(path.join(dir, 'd', 'old')));
    assert.equal(lstatSync(path.join(dir, 'd', 'cap')).uid, 7);
    assert.equal(st.skippedXattrs, 1);
  });
});
