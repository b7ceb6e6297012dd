import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { writeLayerTar, type Digest, type Layer, type LayerEntry } from '@strata/oci';
import { openSnapshotter } from '@strata/snapshot';
import { ensureChain, snapshotNameOf } from '../src/layer-chain.js';

async function bytes(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** An uncompressed layer holding one file, counting how often its content is read. */
async function countedLayer(name: string): Promise<Layer & { reads: number }> {
  const data = Buffer.from(`${name}\n`);
  const entry: LayerEntry = { path: name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: 0n, data };
  const tar = await bytes(writeLayerTar([entry]));
  const digest = `sha256:${createHash('sha256').update(tar).digest('hex')}` as Digest;
  const layer = {
    reads: 0,
    digest: async () => digest,
    diffId: async () => digest,
    size: async () => tar.length,
    mediaType: async () => 'application/vnd.oci.image.layer.v1.tar',
    compressed: async () => Readable.from([tar]),
    uncompressed: async () => {
      layer.reads++;
      return Readable.from([tar]);
    },
  };
  return layer;
}

describe('ensureChain', function () {
  let root: string;
  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-chain-'));
  });
  afterEach(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('unpacks a base shared by parallel stages once, and each prefix only when missing', async function () {
    const snap = await openSnapshotter({ root });
    const [a, b] = [await countedLayer('a'), await countedLayer('b')];
    const tops = await Promise.all([ensureChain(snap, [a]), ensureChain(snap, [a]), ensureChain(snap, [a, b])]);
    const nameA = snapshotNameOf([await a.diffId()]);
    const nameAB = snapshotNameOf([await a.diffId(), await b.diffId()]);
    assert.deepEqual(tops, [nameA, nameA, nameAB]);
    assert.deepEqual([a.reads, b.reads], [1, 1]);
    assert.equal(await ensureChain(snap, [a, b]), nameAB);
    assert.deepEqual([a.reads, b.reads], [1, 1], 'a present chain was unpacked again');
    assert.equal((await snap.stat(nameAB!)).parent, nameA);
  });
});
