import { createHash } from 'node:crypto';
import { closeSync, fsync, openSync, readSync, rmSync, write, writeSync } from 'node:fs';
import type { BlobInfo } from './content-store.js';
import type { Digest } from './digest.js';
import { OciError } from './errors.js';

/** How many chunk writes of one blob may be in flight at once. */
const WRITES_IN_FLIGHT = 4;

/** Chunks at least this big are written on the thread pool; smaller ones with a sync call. */
const ASYNC_WRITE_MIN = 64 * 1024;

/** How much of a file copyFile reads at once. */
const COPY_CHUNK = 1 << 20;

/** Writes all of `chunk` at file offset `at`, on the thread pool. */
async function writeAt(fd: number, chunk: Uint8Array, at: number): Promise<void> {
  for (let off = 0; off < chunk.length;) {
    off += await new Promise<number>((resolve, reject) => write(fd, chunk, off, chunk.length - off, at + off, (e, n) => (e ? reject(e) : resolve(n))));
  }
}

/** fsync(2) on the thread pool: it may wait for a disk. */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Hashes (sha256) and writes one new file, `file` (created here, exclusively), from chunks in order. Large
 * writes run on the thread pool, a few in flight, each at its own offset, while this thread hashes the next
 * chunk; open, small writes and close are sync calls (a thread-pool round trip costs more than each).
 * `finish` fsyncs and closes; `abort` closes and removes the file. Moving the file into a store is the
 * caller's (ContentStore.put, storeLayerSegments).
 */
export class BlobWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private at = 0;
  private readonly writes: Array<{ done: Promise<void>; buf?: Buffer }> = [];
  /** copyFile's read buffers whose writes are done, for reuse: fresh memory costs a page fault per 4 kB. */
  private readonly spare: Buffer[] = [];
  private failed: { e: unknown } | undefined;
  private closed = false;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'wx', 0o644);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.at;
  }

  /** Hashes and writes `chunk`, which must stay unchanged until finish: it may be written later. */
  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    const at = this.at;
    this.at += chunk.length;
    if (chunk.length < ASYNC_WRITE_MIN) {
      for (let off = 0; off < chunk.length;) off += writeSync(this.fd, chunk, off, chunk.length - off, at + off);
      return;
    }
    await this.queue(chunk, at);
  }

  /**
   * Appends exactly `want` bytes of the file at `path`, read here in 1 MB chunks into buffers reused once their
   * writes are done. One byte more or fewer means the file changed while read: an error naming it.
   */
  async copyFile(path: string, want: number): Promise<void> {
    const src = openSync(path, 'r');
    try {
      let got = 0;
      for (;;) {
        const buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(COPY_CHUNK);
        const n = readSync(src, buf, 0, Math.min(COPY_CHUNK, want - got + 1), got);
        if (n === 0) {
          this.spare.push(buf);
          break;
        }
        got += n;
        if (got > want) throw new OciError(`layer: ${path}: content longer than its size ${want} (changed while read?)`);
        const chunk = buf.subarray(0, n);
        this.hash.update(chunk);
        const at = this.at;
        this.at += n;
        await this.queue(chunk, at, buf);
      }
      if (got !== want) throw new OciError(`layer: ${path}: content is ${got} bytes, header says ${want} (changed while read?)`);
    } finally {
      closeSync(src);
    }
  }

  private async queue(chunk: Uint8Array, at: number, buf?: Buffer): Promise<void> {
    const done = writeAt(this.fd, chunk, at).catch((e: unknown) => {
      this.failed ??= { e };
    });
    this.writes.push({ done, buf });
    await this.settle(WRITES_IN_FLIGHT - 1);
  }

  private async settle(n: number): Promise<void> {
    while (this.writes.length > n) {
      const w = this.writes.shift()!;
      await w.done;
      if (w.buf !== undefined) this.spare.push(w.buf);
    }
    if (this.failed) throw this.failed.e;
  }

  /** Waits for every write, fsyncs and closes the file: its digest and size. */
  async finish(): Promise<BlobInfo> {
    await this.settle(0);
    await fsyncFd(this.fd);
    this.closed = true;
    closeSync(this.fd);
    return { digest: `sha256:${this.hash.digest('hex')}` as Digest, size: this.at };
  }

  /** Waits for writes in flight (they use the descriptor), then closes and removes the file. */
  async abort(): Promise<void> {
    await Promise.all(this.writes.map((w) => w.done));
    this.writes.length = 0;
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
    rmSync(this.file, { force: true });
  }
}
