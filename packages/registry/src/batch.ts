import type { Readable } from 'node:stream';
import { RegistryError } from './errors.js';

/**
 * Re-chunks a network stream into blocks of at least `min` bytes: the content store awaits one write per
 * chunk, and sockets deliver 16–64 KiB at a time, so batching cuts the thread-pool round trips by ~30x.
 * A socket error or early close becomes a RegistryError naming `what`.
 */
export async function* batched(src: Readable, what: string, min = 1 << 20): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  let closedEarly = false;
  src.once('aborted', () => { closedEarly = true; });
  try {
    for await (const c of src as AsyncIterable<Buffer>) {
      parts.push(c);
      n += c.length;
      if (n >= min) {
        yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
        parts = [];
        n = 0;
      }
    }
  } catch (e) {
    throw new RegistryError(`${what}: ${(e as Error).message.split('\n')[0]}`, undefined, true);
  }
  if (closedEarly) throw new RegistryError(`${what}: connection closed early`, undefined, true);
  if (n) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
}
