import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { DigestMismatchError, type ContentStore, type Digest } from '@strata/oci';
import { RegistryError } from './errors.js';

/**
 * Streams a network body into the content store: temp file → fsync → rename (ContentStore.adopt), verified
 * against `digest` and `size` before the rename. Unlike ContentStore.put it hands the socket's 64 KiB chunks to
 * one writev per ~1 MiB (no per-chunk write round trip, no concatenating copy): pull is CPU-bound here, on
 * hashing and on Node's socket reads, and this keeps everything else out of the way.
 * A socket error or early close becomes a retryable RegistryError naming `what`.
 */
export async function writeBlob(store: ContentStore, body: Readable, expect: { digest: Digest; size: number }, what: string): Promise<void> {
  const tmp = store.tempPath('pull');
  const fh = await fsp.open(tmp, 'wx', 0o644);
  const hash = createHash('sha256');
  let size = 0;
  let closedEarly = false;
  body.once('aborted', () => { closedEarly = true; });
  try {
    try {
      let parts: Buffer[] = [];
      let pending = 0;
      const flush = async () => {
        let bufs = parts;
        parts = [];
        pending = 0;
        while (bufs.length) {
          const { bytesWritten } = await fh.writev(bufs);
          bufs = skip(bufs, bytesWritten);
        }
      };
      try {
        for await (const c of body as AsyncIterable<Buffer>) {
          size += c.length;
          if (size > expect.size) throw new DigestMismatchError(`${what}: more than the expected ${expect.size} bytes`);
          hash.update(c);
          parts.push(c);
          pending += c.length;
          if (pending >= 1 << 20) await flush();
        }
      } catch (e) {
        if (e instanceof DigestMismatchError) throw e;
        throw new RegistryError(`${what}: ${(e as Error).message.split('\n')[0]}`, undefined, true);
      }
      if (closedEarly) throw new RegistryError(`${what}: connection closed early`, undefined, true);
      await flush();
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (size !== expect.size) throw new DigestMismatchError(`${what}: size ${size}, expected ${expect.size}`);
    const got = 'sha256:' + hash.digest('hex');
    if (got !== expect.digest) throw new DigestMismatchError(`${what}: content hashes to ${got}, expected ${expect.digest}`);
    await store.adopt(tmp, { digest: expect.digest, size });
  } catch (e) {
    body.destroy();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** The buffers left after `n` bytes of them were written (writev may write less than asked). */
function skip(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  if (i === bufs.length) return [];
  return [bufs[i]!.subarray(n), ...bufs.slice(i + 1)];
}
