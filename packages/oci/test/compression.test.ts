import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { compress, decompress, gzipParallel, sniffCompression, compressionOfMediaType, MediaType } from '../src/index.js';
import { collect } from './tar-helpers.js';

function mixed(n: number): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < n) {
    const r = randomBytes(4096);
    parts.push(i % 3 === 0 ? r : Buffer.from(r.toString('hex').slice(0, 4096).replace(/[0-7]/g, 'a')));
    i += 4096;
  }
  return Buffer.concat(parts).subarray(0, n);
}

function chunked(b: Buffer, size: number): Readable {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return Readable.from(out);
}

describe('compression', () => {
  const data = mixed(5 * 1024 * 1024 + 12345);

  it('parallel gzip is one valid gzip stream that gunzip and gzip(1) read back', async () => {
    const gz = await collect(gzipParallel(chunked(data, 65536), { blockSize: 256 * 1024 }));
    assert.deepEqual(zlib.gunzipSync(gz), data);
    assert.deepEqual(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 26 }), data);
    execFileSync('gzip', ['-t'], { input: gz });
    // no name, no mtime
    assert.equal(gz[3], 0);
    assert.equal(gz.readUInt32LE(4), 0);
  });

  it('parallel gzip output does not depend on how the input was chunked', async () => {
    const a = await collect(gzipParallel(chunked(data, 1000)));
    const b = await collect(gzipParallel(chunked(data, 3 << 20)));
    const c = await collect(gzipParallel(chunked(data, 1 << 20), { concurrency: 1 }));
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  });

  it('parallel gzip handles empty input and exact block multiples', async () => {
    assert.equal(zlib.gunzipSync(await collect(gzipParallel(Readable.from([])))).length, 0);
    const exact = data.subarray(0, 2 << 20);
    assert.deepEqual(zlib.gunzipSync(await collect(gzipParallel(chunked(exact, 4096)))), exact);
  });

  it('parallel gzip ratio is close to serial gzip -6', async () => {
    const ours = (await collect(gzipParallel(chunked(data, 65536)))).length;
    const serial = zlib.gzipSync(data, { level: 6 }).length;
    assert.ok(ours < serial * 1.01, `${ours} vs ${serial}`);
  });

  it('zstd round-trips and zstd(1) reads it', async () => {
    const z = await collect(compress(chunked(data, 65536), 'zstd'));
    assert.equal(sniffCompression(z), 'zstd');
    assert.deepEqual(execFileSync('zstd', ['-dc'], { input: z, maxBuffer: 1 << 26 }), data);
    assert.deepEqual(await collect(decompress(Readable.from([z]), MediaType.ociLayerZstd)), data);
  });

  it('small zstd layers (compressed on this thread) round-trip too', async () => {
    const small = data.subarray(0, 100000);
    const z = await collect(compress(chunked(small, 7000), 'zstd'));
    assert.deepEqual(execFileSync('zstd', ['-dc'], { input: z }), small);
    assert.deepEqual(await collect(compress(chunked(small, 50000), 'zstd')), z);
  });

  it('zstd output does not depend on chunking', async () => {
    const a = await collect(compress(chunked(data, 1000), 'zstd'));
    const b = await collect(compress(chunked(data, 3 << 20), 'zstd'));
    assert.deepEqual(a, b);
  });

  it('decompress chooses by magic, also against a wrong media type', async () => {
    const gz = zlib.gzipSync(data);
    assert.deepEqual(await collect(decompress(Readable.from([gz]), MediaType.ociLayerGzip)), data);
    assert.deepEqual(await collect(decompress(Readable.from([data]), MediaType.dockerLayerGzip)), data);
    const small = zlib.gzipSync(data.subarray(0, 20000));
    assert.deepEqual(await collect(decompress(chunked(small, 1), MediaType.ociLayer)), data.subarray(0, 20000));
    assert.deepEqual(await collect(decompress(Readable.from([Buffer.from('ab')]))), Buffer.from('ab'));
    assert.throws(() => decompress(Readable.from([gz]), MediaType.ociConfig), /not a layer/);
  });

  it('a corrupt or truncated gzip layer is one-line error', async () => {
    const gz = zlib.gzipSync(data);
    await assert.rejects(collect(decompress(Readable.from([gz.subarray(0, gz.length >> 1)]), undefined, 'layer sha256:x')), /^OciError: layer sha256:x: /);
    const bad = Buffer.from(gz);
    bad.fill(0x55, 100, 200);
    await assert.rejects(collect(decompress(Readable.from([bad]), undefined, 'L')), /L: /);
  });

  it('media types map to compressions', () => {
    assert.equal(compressionOfMediaType(MediaType.dockerLayerGzip), 'gzip');
    assert.equal(compressionOfMediaType(MediaType.ociLayerZstd), 'zstd');
    assert.equal(compressionOfMediaType(MediaType.ociLayer), 'none');
    assert.equal(compressionOfMediaType(MediaType.dockerLayer), 'none');
    assert.equal(compressionOfMediaType(MediaType.ociConfig), undefined);
  });
});
