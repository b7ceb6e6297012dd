import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { readLayerTar } from '@strata/oci';
import { scanEntries, type LayerScan } from '../src/scan.js';
import { TarScanner } from '../src/tar-scan.js';
import { bytes, dir, file, hardlink, opaque, symlink, whiteout } from './support/entries.js';
import { baseLayer, wasteSteps } from './support/fixtures.js';
import { layerTar } from './support/memory-image.js';

function pushScan(tar: Buffer, chunk: number): LayerScan {
  const s = new TarScanner('t');
  for (let off = 0; off < tar.length; off += chunk) s.push(tar.subarray(off, off + chunk));
  return s.end();
}

async function readerScan(tar: Buffer): Promise<LayerScan> {
  return scanEntries(readLayerTar(Readable.from([tar]), { source: 't' }));
}

/** A tar whose one member is `name` with content, preceded by a PAX global header setting uid 42. */
function withGlobalPax(): Buffer {
  const hdr = (name: string, type: string, size: number) => {
    const b = Buffer.alloc(512);
    b.write(name, 0);
    b.write('0000644\0', 100); b.write('0000000\0', 108); b.write('0000000\0', 116);
    b.write(size.toString(8).padStart(11, '0') + '\0', 124); b.write('14000000000\0', 136);
    b.fill(0x20, 148, 156); b.write(type, 156); b.write('ustar\x0000', 257, 'binary');
    let sum = 0;
    for (const c of b) sum += c;
    b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return b;
  };
  const pax = Buffer.from('10 uid=42\n');
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  return Buffer.concat([hdr('pax_global_header', 'g', pax.length), pax, pad(pax.length), hdr('./etc/./x', '0', 3), Buffer.from('abc'), pad(3), Buffer.alloc(1024)]);
}

describe('TarScanner: the push parser agrees with readLayerTar', () => {
  const cases: [string, () => Promise<Buffer>][] = [
    ['the base layer (files, hardlink, symlink, dirs, sticky bit)', () => layerTar(baseLayer())],
    ['a layer with whiteouts and an opaque dir', () => layerTar(wasteSteps()[2]!.entries!)],
    ['long names, big ids, binary xattrs, devices', () => layerTar([
      dir('a'), file(`a/${'n'.repeat(150)}/${'m'.repeat(120)}`, bytes(700, 'x'), { uid: 3_000_000, gid: 70_000 }),
      file('a/cap', 'c', { xattrs: { 'security.capability': Buffer.from([0, 0xff, 0x80, 1]), 'user.k': Buffer.from('v') } }),
      symlink(`a/${'l'.repeat(130)}`, `/${'t'.repeat(140)}`), hardlink('a/h', 'a/cap'), whiteout('a/gone'), opaque('a'),
      { path: 'a/dev', type: 'char', mode: 0o600, uid: 0, gid: 0, size: 0, mtimeNs: 5n * 1_000_000_000n, devmajor: 1, devminor: 3 },
      { path: 'a/fifo', type: 'fifo', mode: 0o600, uid: 0, gid: 0, size: 0, mtimeNs: 0n }, file('a/empty', ''),
    ])],
    ['a PAX global header and ./ paths', async () => withGlobalPax()],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const tar = await make();
      const want = await readerScan(tar);
      assert.ok(want.entries.length > 0);
      for (const chunk of [1, 7, 511, 512, 513, 4096, tar.length]) assert.deepEqual(pushScan(tar, chunk), want, `chunk size ${chunk}`);
    });
  }

  it('base-256 numbers and odd spacing fall back to the full header decoder', async () => {
    const tar = Buffer.from(await layerTar([file('a', 'x'), file('b', 'y')]));
    const h = tar.subarray(0, 512);
    h.fill(0, 108, 116);
    h[108] = 0x80;
    h.writeUInt32BE(5_000_000, 112); // GNU base-256 uid
    h.write(' 644   ', 100, 'ascii'); // leading spaces, space-terminated
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const c of h) sum += c;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const want = await readerScan(tar);
    assert.equal(want.entries[0]!.uid, 5_000_000);
    for (const chunk of [1, 512, tar.length]) assert.deepEqual(pushScan(tar, chunk), want);
    h[0] ^= 1; // now the checksum is wrong: the same error either way
    assert.throws(() => pushScan(tar, 512), /checksum mismatch/);
  });

  it('a truncated tar is an error at every cut, like readLayerTar', async () => {
    const tar = await layerTar(baseLayer());
    for (const cut of [0, 100, 512, 1500, tar.length - 1024, tar.length - 1]) {
      const s = new TarScanner('t');
      s.push(tar.subarray(0, cut));
      if (cut >= tar.length - 1024 + 512) continue; // the first end block is enough
      assert.throws(() => s.end(), /^OciError: t: (empty archive|unexpected end of archive at byte \d+)/);
      await assert.rejects(readerScan(tar.subarray(0, cut)));
    }
  });

  it('rejects a path that climbs out of the root', async () => {
    const evil = Buffer.from(withGlobalPax());
    evil.write('../../etc/x\0\0', 512 + 512, 'ascii');
    // fix the checksum of the rewritten header
    const h = evil.subarray(1024, 1536);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const c of h) sum += c;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    assert.throws(() => pushScan(evil, 512), /climbs out of the root/);
  });
});
