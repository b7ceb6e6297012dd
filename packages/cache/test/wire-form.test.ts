import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore, layerMediaType, type Digest } from '@strata/oci';
import { WireForms, type LayerRef } from '../src/index.js';

describe('wire forms of layers', function () {
  let root: string;
  let cs: ContentStore;
  let wire: WireForms;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-wire-'));
    cs = new ContentStore(root);
    wire = new WireForms(root, cs);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A stored uncompressed "layer" of these bytes (the diff id is the digest: it is its own tar). */
  async function layer(data: Buffer): Promise<LayerRef> {
    const { digest, size } = await cs.put(data);
    return { mediaType: layerMediaType('none'), digest, size, diffId: digest };
  }
  const twins = () => (existsSync(path.join(root, 'cache', 'wire')) ? readdirSync(path.join(root, 'cache', 'wire')) : []);

  it('gzips a compressible layer into a stored twin with the same diff id, small and large', async () => {
    for (const size of [1 << 20, 10 << 20]) {
      const l = await layer(Buffer.from('compress me, please '.repeat(size / 20)));
      const w = await wire.of(l);
      assert.equal(w.ref.mediaType, layerMediaType('gzip'));
      assert.equal(w.ref.diffId, l.diffId);
      assert.ok(w.ref.size < l.size / 10);
      assert.ok(await cs.has(w.ref.digest as Digest));
    }
    assert.equal(twins().length, 2);
  });

  it('sends a layer gzip cannot shrink as it is: no twin stored or remembered, small and large', async () => {
    for (const size of [1 << 20, 10 << 20]) {
      const l = await layer(randomBytes(size));
      const w = await wire.of(l);
      assert.deepEqual(w.ref, l);
      assert.equal(w.squeezed, undefined);
    }
    assert.deepEqual(twins(), []);
    assert.equal(readdirSync(cs.blobDir).length, 2, 'only the two layers themselves');
  });

  it('judges a large layer by samples spread over it, not by its head', async () => {
    // 2 MB of random bytes ahead of 14 MB of text: the text decides.
    const l = await layer(Buffer.concat([randomBytes(2 << 20), Buffer.from('text text text '.repeat((14 << 20) / 15))]));
    const w = await wire.of(l);
    assert.equal(w.ref.mediaType, layerMediaType('gzip'));
    assert.ok(w.ref.size < l.size / 2);
  });
});
