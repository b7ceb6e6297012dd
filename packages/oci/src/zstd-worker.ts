import { parentPort } from 'node:worker_threads';
import { CompressStream } from 'zstd-napi';

/**
 * Worker side of zstdCompress: zstd-napi compresses synchronously on the calling thread, so it runs here
 * while the main thread builds the tar. Messages in: {level} once, then Uint8Array chunks, then null.
 * Messages out: compressed chunks, then {done: true} or {error}.
 */
let z: CompressStream | undefined;
parentPort!.on('message', (m: { level: number } | Uint8Array | null) => {
  try {
    if (m && !(m instanceof Uint8Array)) {
      z = new CompressStream({ compressionLevel: m.level });
      z.on('data', (c: Buffer) => parentPort!.postMessage(c));
      z.on('end', () => parentPort!.postMessage({ done: true }));
      z.on('error', (e: Error) => parentPort!.postMessage({ error: e.message }));
    } else if (m === null) z!.end();
    else z!.write(Buffer.from(m.buffer, m.byteOffset, m.byteLength), () => parentPort!.postMessage({ ack: true }));
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
