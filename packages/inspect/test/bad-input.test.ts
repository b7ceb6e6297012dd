import { strict as assert } from 'node:assert';
import { gzipSync } from 'node:zlib';
import { LayerReadError, InspectError } from '../src/errors.js';
import { readMeta } from '../src/image-meta.js';
import { resolveLayer, splitLayerRef } from '../src/layer-ref.js';
import { scanImage } from '../src/load.js';
import { bytes, file } from './support/entries.js';
import { wasteSteps } from './support/fixtures.js';
import { buildImage, layerTar, MemoryImage, MemoryLayer } from './support/memory-image.js';

/** The waste image with layer 1 replaced by `layer` (config diff ID kept as `diffId`, default the layer's own). */
async function withLayer1(layer: MemoryLayer, diffId?: string): Promise<MemoryImage> {
  const img = await buildImage(wasteSteps());
  const config = JSON.parse(img.configBytes.toString());
  config.rootfs.diff_ids[1] = diffId ?? layer.tarDigest;
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest = JSON.parse(img.manifestBytes.toString());
  manifest.layers[1] = layer.descriptor();
  return new MemoryImage(Buffer.from(JSON.stringify(manifest)), configBytes, [img.layerList[0]!, layer, img.layerList[2]!]);
}

async function expectOneLine(p: Promise<unknown>, cls: typeof InspectError, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof cls, `${e.name}: ${e.message}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, re);
    return true;
  });
}

describe('bad input: one-line errors naming the image and layer, never a partial answer', () => {
  const tar = () => layerTar([file('a', bytes(5000, 'a')), file('b', 'b')]);

  it('a truncated layer', async () => {
    const full = await tar();
    const cut = full.subarray(0, 2048);
    const img = await withLayer1(new MemoryLayer(cut, gzipSync(cut)), new MemoryLayer(full).tarDigest);
    const meta = await readMeta('bad:trunc', img);
    await expectOneLine(scanImage(meta, img), LayerReadError, /^bad:trunc: layer 1 \(sha256:[0-9a-f]{64}\): .*(end of archive|ends)/);
  });

  it('a layer whose bytes do not match its diff ID', async () => {
    const full = await tar();
    const bad = Buffer.from(full);
    bad[1024 + 100] ^= 0xff; // inside a's content: still a valid tar
    const img = await withLayer1(new MemoryLayer(bad), new MemoryLayer(full).tarDigest);
    const meta = await readMeta('bad:flip', img);
    await expectOneLine(scanImage(meta, img), LayerReadError, /^bad:flip: layer 1 \(sha256:[0-9a-f]{64}\): uncompressed content is sha256:[0-9a-f]{64}, config says diff ID sha256:/);
  });

  it('a layer that is not a tar at all', async () => {
    const junk = Buffer.from('this is not a tar archive'.repeat(40));
    const img = await withLayer1(new MemoryLayer(junk));
    const meta = await readMeta('bad:junk', img);
    await expectOneLine(scanImage(meta, img), LayerReadError, /^bad:junk: layer 1 \(sha256:[0-9a-f]{64}\)( at byte \d+)?: invalid/);
  });

  it('a manifest whose layer count disagrees with the config', async () => {
    const img = await buildImage(wasteSteps());
    const manifest = JSON.parse(img.manifestBytes.toString());
    manifest.layers.pop();
    const bad = new MemoryImage(Buffer.from(JSON.stringify(manifest)), img.configBytes, img.layerList);
    await expectOneLine(readMeta('bad:count', bad), InspectError, /^bad:count: malformed image: manifest lists 2 layers but config has 3 diff_ids$/);
  });

  it('a manifest without a layers list', async () => {
    const img = await buildImage(wasteSteps());
    const bad = new MemoryImage(Buffer.from('{"schemaVersion":2}'), img.configBytes, img.layerList);
    await expectOneLine(readMeta('bad:nolayers', bad), InspectError, /^bad:nolayers: /);
  });

  it('layer references: index, digest prefix, and the mistakes', async () => {
    const img = await buildImage(wasteSteps());
    const meta = await readMeta('img', img);
    assert.equal(resolveLayer(meta, '2'), 2);
    assert.equal(resolveLayer(meta, meta.layers[1]!.digest.slice(7, 19)), 1);
    assert.equal(resolveLayer(meta, meta.layers[1]!.diffId), 1);
    assert.throws(() => resolveLayer(meta, '3'), /^InspectError: img: no layer 3 \(the image has 3 layers, 0\.\.2\)$/);
    assert.throws(() => resolveLayer(meta, 'zzz'), /neither a layer index nor a digest/);
    assert.deepEqual(splitLayerRef('oci:/x:tag#2'), { image: 'oci:/x:tag', layer: '2' });
    assert.deepEqual(splitLayerRef('name:tag'), { image: 'name:tag' });
  });
});
