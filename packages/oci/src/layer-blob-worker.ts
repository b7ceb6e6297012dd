import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Worker side of storeLayerSegments: hashes and writes a layer tar into `workerData.file` (created here,
 * exclusively). Messages in: Uint8Array pieces of the tar, {path, size} for a file's content to read here, and
 * null at the end. Messages out: {ack: bytes} per piece written, {digest, size} once the file is whole and
 * fsynced, or {error}. Big files' bytes never reach the main thread: one buffer is read into, hashed and
 * written, again and again.
 */
const CHUNK = 4 << 20;
const fd = openSync((workerData as { file: string }).file, 'wx', 0o644);
const hash = createHash('sha256');
const buf = Buffer.allocUnsafe(CHUNK);
let size = 0;
let failed = false;

function writeAll(b: Uint8Array): void {
  hash.update(b);
  for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off, size + off);
  size += b.length;
}

/** Exactly `want` bytes of the file at `path`: one byte more or fewer means it changed while read. */
function copyFile(path: string, want: number): void {
  const src = openSync(path, 'r');
  try {
    let got = 0;
    for (;;) {
      const n = readSync(src, buf, 0, Math.min(CHUNK, want - got + 1), got);
      if (n === 0) break;
      got += n;
      if (got > want) throw new Error(`${path}: content longer than its size ${want} (changed while read?)`);
      writeAll(buf.subarray(0, n));
    }
    if (got !== want) throw new Error(`${path}: content is ${got} bytes, header says ${want} (changed while read?)`);
  } finally {
    closeSync(src);
  }
}

parentPort!.on('message', (m: Uint8Array | { path: string; size: number } | null) => {
  if (failed) return;
  try {
    if (m instanceof Uint8Array) {
      writeAll(m);
      parentPort!.postMessage({ ack: m.length });
    } else if (m !== null) copyFile(m.path, m.size);
    else {
      fsyncSync(fd);
      closeSync(fd);
      parentPort!.postMessage({ digest: `sha256:${hash.digest('hex')}`, size });
    }
  } catch (e) {
    failed = true;
    closeSync(fd);
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
