import { createHash } from 'node:crypto';
import type { LayerEntry } from '@strata/oci';
import { factsOf, type FileFacts } from './facts.js';

/** One layer read end to end: its entries' facts in tar order, content hashed, content itself not kept. */
export interface LayerScan {
  entries: FileFacts[];
  /** Bytes of file content the layer stores (the sum of its regular files' sizes). */
  storedBytes: number;
  /** Number of regular files (not counting hardlinks). */
  files: number;
}

/** sha256 of the empty string: the content hash of every empty file, computed once. */
const EMPTY_HASH = createHash('sha256').digest('hex');

/**
 * Reads a layer's entries, hashing each file's content as it streams past. Content must be consumed before
 * the next entry is asked for, so this loop is the only reader.
 */
export async function scanEntries(entries: AsyncIterable<LayerEntry>): Promise<LayerScan> {
  const out: FileFacts[] = [];
  let storedBytes = 0;
  let files = 0;
  for await (const e of entries) {
    const f = factsOf(e);
    if (e.type === 'file') {
      files++;
      storedBytes += e.size;
      f.hash = e.size === 0 || !e.open ? (e.size === 0 ? EMPTY_HASH : undefined) : await hashStream(e.open());
    }
    out.push(f);
  }
  return { entries: out, storedBytes, files };
}

async function hashStream(stream: AsyncIterable<Buffer>): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk);
  return h.digest('hex');
}
