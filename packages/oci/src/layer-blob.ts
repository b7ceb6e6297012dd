import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { layerMediaType } from './compression.js';
import type { ContentStore } from './content-store.js';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import { OciError } from './errors.js';
import { StoreLayer, type StoredLayer } from './layers.js';
import type { FileRef } from './tar-writer.js';

/** How much of the tar may come before its first FileRef for the worker thread to take over. */
const HEAD_MAX = 4 << 20;
/** Bytes posted to the worker and not yet written: the tar's maker waits above this. */
const IN_FLIGHT_MAX = 16 << 20;

/**
 * Stores an uncompressed layer tar given as layerTarSegments pieces. When a FileRef comes early (within
 * HEAD_MAX bytes) a worker thread hashes and writes the tar and reads the referenced files itself: a 150 MB
 * COPY's content is read, hashed and written on the second core while this thread makes the rest of the
 * tar, instead of after it on this one. Otherwise this is storeLayerTar's single pass (ContentStore.put),
 * FileRefs read here. Either way the blob becomes visible whole (temp file → fsync → rename).
 */
export async function storeLayerSegments(cs: ContentStore, segments: AsyncIterable<Buffer | FileRef>): Promise<StoredLayer> {
  const it = segments[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let r = await it.next();
  for (; !r.done && Buffer.isBuffer(r.value) && headLen < HEAD_MAX; r = await it.next()) {
    head.push(r.value);
    headLen += r.value.length;
  }
  if (r.done || Buffer.isBuffer(r.value)) {
    const info = await cs.put(inProcess(head, r, it));
    return stored(cs, info.digest, info.size);
  }
  const file = cs.tempPath('layer');
  const w = new Worker(new URL('./layer-blob-worker.js', import.meta.url), { workerData: { file } });
  let failure: Error | undefined;
  let result: { digest: Digest; size: number } | undefined;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const f = wake;
    wake = undefined;
    f?.();
  };
  w.on('message', (m: { ack?: number; digest?: Digest; size?: number; error?: string }) => {
    if (m.ack !== undefined) inFlight -= m.ack;
    else if (m.error !== undefined) failure ??= new OciError(`layer: ${m.error}`);
    else result = { digest: m.digest!, size: m.size! };
    poke();
  });
  w.on('error', (e) => {
    failure ??= e;
    poke();
  });
  w.on('exit', (code) => {
    if (result === undefined) failure ??= new OciError(`layer writer thread exited (${code}) before the layer was whole`);
    poke();
  });
  const waitWhile = async (cond: () => boolean) => {
    while (cond() && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
    if (failure !== undefined) throw failure;
  };
  try {
    const send = async (v: Buffer | FileRef) => {
      if (!Buffer.isBuffer(v)) return w.postMessage({ path: v.path, size: v.size });
      // A copy the thread owns: the tar writer's pieces may share memory (Node's buffer pool, shared zeros).
      const copy = new Uint8Array(v.length);
      copy.set(v);
      inFlight += copy.length;
      w.postMessage(copy, [copy.buffer]);
      await waitWhile(() => inFlight > IN_FLIGHT_MAX);
    };
    for (const b of head) await send(b);
    for (; !r.done; r = await it.next()) await send(r.value);
    w.postMessage(null);
    await waitWhile(() => result === undefined);
    await cs.adopt(file, result!);
    return stored(cs, result!.digest, result!.size);
  } catch (e) {
    // Stopped first, so that the thread cannot create or write the file after it is removed.
    await w.terminate();
    rmSync(file, { force: true });
    throw e;
  } finally {
    void w.terminate();
  }
}

/** The tar on this thread: pieces as they come, a FileRef's file read here in 1 MB chunks. */
async function* inProcess(head: Buffer[], r: IteratorResult<Buffer | FileRef>, it: AsyncIterator<Buffer | FileRef>): AsyncGenerator<Buffer> {
  yield* head;
  for (; !r.done; r = await it.next()) {
    if (Buffer.isBuffer(r.value)) yield r.value;
    else yield* readRef(r.value);
  }
}

/** Exactly `ref.size` bytes of the file: one byte more or fewer means it changed while read. */
function* readRef(ref: FileRef): Generator<Buffer> {
  const fd = openSync(ref.path, 'r');
  try {
    let got = 0;
    for (;;) {
      // A fresh buffer each time: put() may still be writing the previous one.
      const b = Buffer.allocUnsafe(Math.min(1 << 20, ref.size - got + 1));
      const n = readSync(fd, b, 0, b.length, got);
      if (n === 0) break;
      got += n;
      if (got > ref.size) throw new OciError(`layer: ${ref.path}: content longer than its size ${ref.size} (changed while read?)`);
      yield b.subarray(0, n);
    }
    if (got !== ref.size) throw new OciError(`layer: ${ref.path}: content is ${got} bytes, header says ${ref.size} (changed while read?)`);
  } finally {
    closeSync(fd);
  }
}

function stored(cs: ContentStore, digest: Digest, size: number): StoredLayer {
  const descriptor: Descriptor = { mediaType: layerMediaType('none'), digest, size };
  return { descriptor, diffId: digest, uncompressedSize: size, layer: new StoreLayer(cs, descriptor, digest) };
}
