import { open } from 'node:fs/promises';
import xxhash from 'xxhash-wasm';

/**
 * 128-bit content hashes: xxhash h64 under two seeds (DESIGN §5). xxhash is ~10x faster than sha256 here,
 * and two independent 64-bit lanes make an accidental collision across a context practically impossible.
 */

const SEED_A = 0x5354524154413031n; // "STRATA01"
const SEED_B = 0x9e3779b97f4a7c15n;
const SMALL = 1 << 20;
const CHUNK = 1 << 20;

let api: ReturnType<typeof xxhash> | undefined;

/** The loaded xxhash-wasm module (instantiated once per process). */
export function hasher(): ReturnType<typeof xxhash> {
  api ??= xxhash();
  return api;
}

function hex64(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}

/** 32 hex characters: the two-seed hash of a byte string. */
export async function hashBytes(data: Uint8Array): Promise<string> {
  const h = await hasher();
  return hex64(h.h64Raw(data, SEED_A)) + hex64(h.h64Raw(data, SEED_B));
}

/** 32 hex characters: the two-seed hash of a UTF-8 string. */
export async function hashString(s: string): Promise<string> {
  return hashBytes(Buffer.from(s, 'utf8'));
}

/** 32 hex characters: the two-seed hash of a file's content, streamed in 1 MiB chunks when large. */
export async function hashFile(file: string, sizeHint: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    if (sizeHint <= SMALL) {
      const data = await fh.readFile();
      if (data.length <= SMALL) return await hashBytes(data);
      return await streamHash(data, fh);
    }
    return await streamHash(undefined, fh);
  } finally {
    await fh.close();
  }
}

async function streamHash(first: Uint8Array | undefined, fh: Awaited<ReturnType<typeof open>>): Promise<string> {
  const h = await hasher();
  const a = h.create64(SEED_A);
  const b = h.create64(SEED_B);
  if (first !== undefined) {
    a.update(first);
    b.update(first);
  } else {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const view = buf.subarray(0, bytesRead);
      a.update(view);
      b.update(view);
    }
  }
  return hex64(a.digest()) + hex64(b.digest());
}
