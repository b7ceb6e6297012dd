import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { zstdNapi } from './zstd-lib.js';
import { OciError } from './errors.js';

const IN_FLIGHT = 4;
const INLINE_MAX = 4 << 20;

/**
 * zstd on a second core: the input is fed to a worker thread that runs zstd-napi's CompressStream, so the
 * producer (tar writing, file reads) and the compressor overlap. Output is what one CompressStream at
 * `level` gives for the same bytes, whatever the chunking.
 */
export function zstdCompress(input: AsyncIterable<Buffer | Uint8Array>, level = 3): Readable {
  return Readable.from((async function* () {
    // Starting a worker costs more than compressing a small layer: those stay on this thread.
    const it = input[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let headLen = 0;
    let ended = false;
    while (headLen < INLINE_MAX) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      head.push(c);
      headLen += c.length;
    }
    if (ended) {
      const z = new (zstdNapi().CompressStream)({ compressionLevel: level });
      const done = new Promise<void>((resolve, reject) => z.on('end', resolve).on('error', reject));
      const parts: Buffer[] = [];
      z.on('data', (c: Buffer) => parts.push(c));
      for (const c of head) z.write(c);
      z.end();
      await done;
      yield Buffer.concat(parts);
      return;
    }
    const rest = (async function* () {
      yield* head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    })();
    const w = new Worker(new URL('./zstd-worker.js', import.meta.url));
    const out: Buffer[] = [];
    let acks = 0;
    let done = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const poke = () => {
      const f = wake;
      wake = undefined;
      f?.();
    };
    w.on('message', (m: Uint8Array | { ack?: boolean; done?: boolean; error?: string }) => {
      if (m instanceof Uint8Array) out.push(Buffer.from(m.buffer, m.byteOffset, m.byteLength));
      else if (m.ack) acks++;
      else if (m.done) done = true;
      else if (m.error) failure = new OciError(`zstd: ${m.error}`);
      poke();
    });
    w.on('error', (e) => {
      failure = e;
      poke();
    });
    const waitFor = () => new Promise<void>((r) => (wake = r));
    try {
      w.postMessage({ level });
      let sent = 0;
      for await (const chunk of rest) {
        const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        // Copy into a transferable buffer: the producer may reuse or share its chunk's memory.
        const copy = new Uint8Array(c.length);
        copy.set(c);
        w.postMessage(copy, [copy.buffer]);
        sent++;
        while (sent - acks >= IN_FLIGHT && !failure) {
          while (out.length) yield out.shift()!;
          if (sent - acks >= IN_FLIGHT) await waitFor();
        }
        if (failure) throw failure;
        while (out.length) yield out.shift()!;
      }
      w.postMessage(null);
      while (!done) {
        if (failure) throw failure;
        while (out.length) yield out.shift()!;
        if (!done) await waitFor();
      }
      while (out.length) yield out.shift()!;
    } finally {
      await w.terminate();
    }
  })(), { objectMode: false });
}
