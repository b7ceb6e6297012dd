import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BlobWriter } from './blob-writer.js';
import { layerMediaType } from './compression.js';
import type { BlobInfo, ContentStore } from './content-store.js';
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
 * The thread that hashes and writes a layer blob (layer-blob-worker.ts) into a temp file of the store. It may
 * be started before the tar is (its start takes 50–100 ms, which can pass while the layer's files are still
 * being made); `dispose` stops it and removes its file if it was not used.
 */
export class LayerWorker {
  private readonly w: Worker;
  private readonly file: string;
  private failure: Error | undefined;
  private result: BlobInfo | undefined;
  private inFlight = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly cs: ContentStore) {
    this.file = cs.tempPath('layer');
    this.w = new Worker(new URL('./layer-blob-worker.js', import.meta.url), { workerData: { file: this.file } });
    // Listeners from the start: an error before the tar arrives must not be an unhandled 'error' event.
    this.w.on('message', (m: { ack?: number; digest?: Digest; size?: number; error?: string }) => {
      if (m.ack !== undefined) this.inFlight -= m.ack;
      else if (m.error !== undefined) this.failure ??= new OciError(`layer: ${m.error}`);
      else this.result = { digest: m.digest!, size: m.size! };
      this.poke();
    });
    this.w.on('error', (e) => {
      this.failure ??= e;
      this.poke();
    });
    this.w.on('exit', (code) => {
      if (this.result === undefined) this.failure ??= new OciError(`layer writer thread exited (${code}) before the layer was whole`);
      this.poke();
    });
  }

  private poke(): void {
    const f = this.wake;
    this.wake = undefined;
    f?.();
  }

  private async waitWhile(cond: () => boolean): Promise<void> {
    while (cond() && this.failure === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  /** Posts a piece of the tar (a copy the thread owns: pieces may share memory) or a file to read there. */
  async send(v: Buffer | FileRef): Promise<void> {
    if (!Buffer.isBuffer(v)) return this.w.postMessage({ path: v.path, size: v.size });
    const copy = new Uint8Array(v.length);
    copy.set(v);
    this.inFlight += copy.length;
    this.w.postMessage(copy, [copy.buffer]);
    await this.waitWhile(() => this.inFlight > IN_FLIGHT_MAX);
  }

  /** Ends the tar: the blob is fsynced by the thread, then moved into the store under its digest. */
  async finish(): Promise<BlobInfo> {
    this.w.postMessage(null);
    await this.waitWhile(() => this.result === undefined);
    await this.cs.adopt(this.file, this.result!);
    void this.w.terminate();
    return this.result!;
  }

  /** Stops the thread, then removes its temp file (gone already after a finish: it was moved into the store). */
  async dispose(): Promise<void> {
    await this.w.terminate();
    rmSync(this.file, { force: true });
  }
}

/**
 * Stores an uncompressed layer tar given as layerTarSegments pieces. When a FileRef of at least `workerFrom`
 * bytes comes early (within HEAD_MAX bytes), or one of any size when a thread is `prepared`, a worker thread
 * hashes and writes the tar and reads the referenced files itself: a 150 MB COPY's content is read, hashed and
 * written on the second core while this thread makes the rest of the tar, instead of after it on this one.
 * Otherwise this thread does it (BlobWriter: FileRefs read into reused buffers, hashed here while earlier
 * chunks are written on the thread pool), and `prepared` is disposed. Either way the blob becomes visible
 * whole (temp file → fsync → rename).
 */
export async function storeLayerSegments(cs: ContentStore, segments: AsyncIterable<Buffer | FileRef>, prepared?: LayerWorker, workerFrom = 0): Promise<StoredLayer> {
  const it = segments[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let r: IteratorResult<Buffer | FileRef>;
  try {
    for (r = await it.next(); !r.done && Buffer.isBuffer(r.value) && headLen < HEAD_MAX; r = await it.next()) {
      head.push(r.value);
      headLen += r.value.length;
    }
  } catch (e) {
    await prepared?.dispose();
    throw e;
  }
  if (r.done || Buffer.isBuffer(r.value) || (prepared === undefined && r.value.size < workerFrom)) {
    await prepared?.dispose();
    const w = new BlobWriter(cs.tempPath('layer'));
    try {
      for (const b of head) await w.write(b);
      for (; !r.done; r = await it.next()) {
        if (Buffer.isBuffer(r.value)) await w.write(r.value);
        else await w.copyFile(r.value.path, r.value.size);
      }
      const info = await w.finish();
      await cs.adopt(w.file, info);
      return stored(cs, info.digest, info.size);
    } catch (e) {
      await w.abort();
      throw e;
    }
  }
  const w = prepared ?? new LayerWorker(cs);
  try {
    for (const b of head) await w.send(b);
    for (; !r.done; r = await it.next()) await w.send(r.value);
    const info = await w.finish();
    return stored(cs, info.digest, info.size);
  } catch (e) {
    await w.dispose();
    throw e;
  }
}

function stored(cs: ContentStore, digest: Digest, size: number): StoredLayer {
  const descriptor: Descriptor = { mediaType: layerMediaType('none'), digest, size };
  return { descriptor, diffId: digest, uncompressedSize: size, layer: new StoreLayer(cs, descriptor, digest) };
}
