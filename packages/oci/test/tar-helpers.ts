import { Readable } from 'node:stream';
import { encodeHeader, encodePax, type LayerEntry } from '../src/index.js';

/** One raw entry for crafting archives, including hostile ones the writer would refuse. */
export interface Raw {
  name: string;
  type?: string;
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  pax?: Array<[string, string | Buffer]>;
  longName?: string;
  devmajor?: number;
  devminor?: number;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

/** Builds a tar from raw entries with no validation at all. */
export function craft(entries: Raw[], end = true): Buffer {
  const parts: Buffer[] = [];
  const hdr = (name: string, type: string, size: number, linkname = '', mode = 0o644, dm = 0, dn = 0) => encodeHeader({
    name, prefix: '', mode, uid: 0, gid: 0, size, mtime: 0, typeflag: type, linkname, uname: '', gname: '', devmajor: dm, devminor: dn,
  });
  for (const e of entries) {
    if (e.pax) {
      const body = encodePax(e.pax);
      parts.push(hdr('PaxHeaders/x', 'x', body.length), body, pad(body.length));
    }
    if (e.longName !== undefined) {
      const body = Buffer.from(e.longName + '\0');
      parts.push(hdr('././@LongLink', 'L', body.length), body, pad(body.length));
    }
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data ?? Buffer.alloc(0);
    parts.push(hdr(e.name, e.type ?? '0', data.length, e.linkname ?? '', e.mode ?? 0o644, e.devmajor ?? 0, e.devminor ?? 0), data, pad(data.length));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Collects a stream into one buffer. */
export async function collect(r: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A file entry with in-memory content. */
export function fileEntry(path: string, content: string | Buffer, extra: Partial<LayerEntry> = {}): LayerEntry {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  return { path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: 1_700_000_000_000_000_000n, open: () => Readable.from([data]), ...extra };
}

/** A directory entry. */
export function dirEntry(path: string, extra: Partial<LayerEntry> = {}): LayerEntry {
  return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 1_700_000_000_000_000_000n, ...extra };
}
