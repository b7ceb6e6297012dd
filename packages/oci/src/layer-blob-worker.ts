import { parentPort, workerData } from 'node:worker_threads';
import { BlobWriter } from './blob-writer.js';

/**
 * Worker side of storeLayerSegments: hashes and writes a layer tar into `workerData.file` (created here,
 * exclusively). Messages in: Uint8Array pieces of the tar, {path, size} for a file's content to read here, and
 * null at the end. Messages out: {ack: bytes} per piece taken, {digest, size} once the file is whole and
 * fsynced, or {error}. Big files' bytes never reach the main thread: they are read here into reused buffers
 * and hashed while earlier chunks are written on the thread pool (BlobWriter). Messages are handled one after
 * another, in the order they came.
 */
const w = new BlobWriter((workerData as { file: string }).file);
let failed = false;
let queue = Promise.resolve();

async function handle(m: Uint8Array | { path: string; size: number } | null): Promise<void> {
  if (failed) return;
  try {
    if (m instanceof Uint8Array) {
      await w.write(m);
      parentPort!.postMessage({ ack: m.length });
    } else if (m !== null) await w.copyFile(m.path, m.size);
    else parentPort!.postMessage(await w.finish());
  } catch (e) {
    failed = true;
    await w.abort();
    // LayerWorker names the layer itself.
    parentPort!.postMessage({ error: (e as Error).message.replace(/^layer: /, '') });
  }
}

parentPort!.on('message', (m: Uint8Array | { path: string; size: number } | null) => {
  queue = queue.then(() => handle(m));
});
