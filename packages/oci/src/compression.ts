import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { zstdCompress } from './zstd-compress.js';
import { zstdNapi } from './zstd-lib.js';
import { OciError } from './errors.js';
import { gzipParallel, type GzipOptions } from './gzip-parallel.js';
import { MediaType } from './media-types.js';

/** Layer compressions strata reads and writes. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression a layer media type declares, or undefined for a non-layer type. */
export function compressionOfMediaType(mediaType: string): Compression | undefined {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.tar.zstd')) return 'zstd';
  if (mediaType.endsWith('.tar') || mediaType.endsWith('layer.v1.tar')) return 'none';
  return undefined;
}

/** The layer media type for a compression in the OCI or Docker flavour. */
export function layerMediaType(c: Compression, docker = false): string {
  if (docker) {
    if (c === 'zstd') throw new OciError('docker schema 2 has no zstd layer type; write the image as OCI');
    return c === 'gzip' ? MediaType.dockerLayerGzip : MediaType.dockerLayer;
  }
  return c === 'gzip' ? MediaType.ociLayerGzip : c === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

/** The compression the first bytes of a blob show (gzip and zstd magics), else 'none'. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** Options of compress(). */
export interface CompressOptions {
  /** gzip level (default 6) or zstd level (default 3). */
  level?: number;
  gzip?: GzipOptions;
}

/** Compresses a stream: gzip on both cores (gzipParallel), zstd through zstd-napi, or passes it through. */
export function compress(input: Readable, c: Compression, opts: CompressOptions = {}): Readable {
  if (c === 'gzip') {
    const g: GzipOptions = { ...opts.gzip };
    if (opts.level !== undefined) g.level = opts.level;
    return gzipParallel(input, g);
  }
  if (c === 'zstd') {
    return zstdCompress(input, opts.level ?? 3);
  }
  return input;
}

function decompressor(c: Compression): NodeJS.ReadWriteStream | undefined {
  if (c === 'gzip') return zlib.createGunzip();
  if (c === 'zstd') return new (zstdNapi().DecompressStream)();
  return undefined;
}

async function* decompressed(input: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  try {
    yield* decompressedFrom(it, what);
  } finally {
    // A consumer that stops early, or an error, must release the input too (its file handle, its socket):
    // nothing else reaches back to it once this generator is abandoned. Its own late verdict (a verifying
    // stream's digest error) no longer has a reader, so it must not become an unhandled 'error'.
    if (input instanceof Readable) {
      input.on('error', () => undefined);
      input.destroy();
    } else {
      void it.return?.()?.catch(() => undefined);
    }
  }
}

async function* decompressedFrom(it: AsyncIterator<Buffer>, what: string): AsyncGenerator<Buffer> {
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < 4) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = Buffer.concat(head);
  const rest = Readable.from((async function* () {
    yield first;
    if (!ended) for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })(), { objectMode: false });
  const d = decompressor(sniffCompression(first));
  if (!d) {
    yield* rest;
    return;
  }
  const t = d as unknown as Readable;
  pipeline(rest, d as unknown as NodeJS.WritableStream, () => undefined);
  try {
    for await (const c of t) yield c as Buffer;
  } catch (e) {
    throw new OciError(`${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * Decompresses a layer stream. The magic bytes decide (registries hold layers labelled gzip that are plain
 * tar); `mediaType` only rejects blobs that are not layers at all. `what` names the blob in errors.
 */
export function decompress(input: Readable | AsyncIterable<Buffer>, mediaType?: string, what = 'layer'): Readable {
  if (mediaType && compressionOfMediaType(mediaType) === undefined) {
    throw new OciError(`${what}: media type ${mediaType} is not a layer`);
  }
  return Readable.from(decompressed(input as AsyncIterable<Buffer>, what), { objectMode: false, highWaterMark: 1 << 20 });
}
