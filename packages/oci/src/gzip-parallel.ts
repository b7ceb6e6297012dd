import os from 'node:os';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Options of the parallel gzip writer. */
export interface GzipOptions {
  /** zlib level, default 6 (as `gzip -6`). */
  level?: number;
  /** Uncompressed bytes per independently compressed block; fixed, so output does not depend on chunking. */
  blockSize?: number;
  /** Blocks in flight at once; default the number of CPUs. */
  concurrency?: number;
}

const WINDOW = 32 * 1024;
// Fixed header: no name, mtime 0, OS 255 (unknown), so equal input gives equal bytes on every machine.
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

function deflateBlock(block: Buffer, dict: Buffer | undefined, last: boolean, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const opts: zlib.ZlibOptions = { level, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH };
    if (dict) opts.dictionary = dict;
    zlib.deflateRaw(block, opts, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

async function* gzipBlocks(input: AsyncIterable<Buffer | Uint8Array>, o: Required<GzipOptions>): AsyncGenerator<Buffer> {
  yield HEADER;
  let crc = 0;
  let total = 0;
  const inflight: Array<Promise<Buffer>> = [];
  let prevTail: Buffer | undefined;
  const launch = (block: Buffer, last: boolean) => {
    // Priming each block with the previous 32 KiB (as pigz does) keeps the ratio of one serial stream.
    inflight.push(deflateBlock(block, prevTail, last, o.level));
    prevTail = block.length >= WINDOW ? block.subarray(block.length - WINDOW) : Buffer.concat([prevTail ?? Buffer.alloc(0), block]).subarray(-WINDOW);
  };
  let buf: Buffer[] = [];
  let have = 0;
  let pending: Buffer | undefined;
  for await (const chunk of input) {
    const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    crc = zlib.crc32(c, crc);
    total += c.length;
    buf.push(c);
    have += c.length;
    while (have >= o.blockSize) {
      const all = buf.length === 1 ? buf[0]! : Buffer.concat(buf, have);
      // The block before is known not to be last only once more data exists; keep one back.
      if (pending) launch(pending, false);
      pending = Buffer.from(all.subarray(0, o.blockSize));
      const rest = all.subarray(o.blockSize);
      buf = rest.length ? [rest] : [];
      have = rest.length;
      while (inflight.length >= o.concurrency) yield await inflight.shift()!;
    }
  }
  const tail = buf.length === 1 ? buf[0]! : Buffer.concat(buf, have);
  if (pending && tail.length === 0) launch(pending, true);
  else {
    if (pending) launch(pending, false);
    launch(tail, true);
  }
  while (inflight.length) yield await inflight.shift()!;
  const footer = Buffer.alloc(8);
  footer.writeUInt32LE(crc >>> 0, 0);
  footer.writeUInt32LE(total % 2 ** 32, 4);
  yield footer;
}

/**
 * gzip on every core: the input is cut into fixed blocks deflated independently on libuv's thread pool
 * (each ends in a sync flush, so the raw streams concatenate into one valid deflate stream), joined with one
 * gzip header and trailer. Deterministic for a given level and block size; any gunzip reads it.
 */
export function gzipParallel(input: AsyncIterable<Buffer | Uint8Array>, opts: GzipOptions = {}): Readable {
  const o: Required<GzipOptions> = {
    level: opts.level ?? 6,
    blockSize: opts.blockSize ?? 1 << 20,
    concurrency: opts.concurrency ?? Math.max(2, os.availableParallelism()),
  };
  return Readable.from(gzipBlocks(input, o), { objectMode: false });
}
