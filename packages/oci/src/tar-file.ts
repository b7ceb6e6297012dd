import { closeSync, createReadStream, openSync, readSync, fstatSync } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobSource } from './content-store.js';
import { VerifyingStream } from './content-store.js';
import { digestHex, type Digest } from './digest.js';
import { NotFoundError, OciError, DigestMismatchError } from './errors.js';
import { decodeHeader, decodePax, isZeroBlock, TarType } from './tar-header.js';
import { createHash } from 'node:crypto';

/** Where one regular member of a tar file lies. */
export interface TarMember {
  name: string;
  offset: number;
  size: number;
}

function clean(name: string): string {
  return posix.normalize(name).replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/$/, '');
}

/**
 * Random access to the regular files of an uncompressed tar on disk (a docker-archive or oci-archive):
 * one pass over the headers, then members are read by offset. Symlinks and hardlinks between members (as
 * `docker save` writes for repeated layers) resolve to their target.
 */
export class TarFile implements BlobSource {
  readonly members = new Map<string, TarMember>();
  private readonly links = new Map<string, string>();
  private constructor(readonly file: string) {}

  /** Indexes `file`; throws a one-line OciError for a file that is not a whole tar. */
  static open(file: string): TarFile {
    const t = new TarFile(file);
    const fd = openSync(file, 'r');
    try {
      const total = fstatSync(fd).size;
      const block = Buffer.alloc(512);
      let off = 0;
      let pax = new Map<string, Buffer>();
      let longName: string | undefined;
      let longLink: string | undefined;
      for (;;) {
        if (off + 512 > total) throw new OciError(`${file}: truncated archive (no end-of-archive marker)`);
        readSync(fd, block, 0, 512, off);
        if (isZeroBlock(block)) break;
        let h;
        try {
          h = decodeHeader(block, `${file} at byte ${off}`);
        } catch (e) {
          if (off === 0) throw new OciError(`${file}: not a tar archive`);
          throw e;
        }
        const dataOff = off + 512;
        const size = pax.has('size') ? Number(pax.get('size')!.toString()) : h.size;
        const next = dataOff + Math.ceil(size / 512) * 512;
        if (next > total) throw new OciError(`${file}: truncated archive (${h.name} runs past the end)`);
        const body = () => {
          const b = Buffer.alloc(size);
          readSync(fd, b, 0, size, dataOff);
          return b;
        };
        if (h.typeflag === TarType.paxHeader) pax = decodePax(body(), `${file} at byte ${off}`);
        else if (h.typeflag === TarType.gnuLongName) longName = body().toString('utf8').replace(/\0.*$/s, '');
        else if (h.typeflag === TarType.gnuLongLink) longLink = body().toString('utf8').replace(/\0.*$/s, '');
        else if (h.typeflag !== TarType.paxGlobal) {
          const name = clean(pax.get('path')?.toString() ?? longName ?? (h.prefix ? `${h.prefix}/${h.name}` : h.name));
          const link = pax.get('linkpath')?.toString() ?? longLink ?? h.linkname;
          if (h.typeflag === TarType.file || h.typeflag === TarType.contiguous) t.members.set(name, { name, offset: dataOff, size });
          else if (h.typeflag === TarType.hardlink) t.links.set(name, clean(link));
          else if (h.typeflag === TarType.symlink) t.links.set(name, clean(posix.join(posix.dirname(name), link)));
          pax = new Map();
          longName = longLink = undefined;
        }
        off = next;
      }
    } finally {
      closeSync(fd);
    }
    return t;
  }

  /** The member at `name` (links followed), or undefined. */
  member(name: string): TarMember | undefined {
    let n = clean(name);
    for (let i = 0; i < 40; i++) {
      const m = this.members.get(n);
      if (m) return m;
      const l = this.links.get(n);
      if (l === undefined) return undefined;
      n = l;
    }
    return undefined;
  }

  /** True when a file (or link to one) named `name` exists. */
  exists(name: string): boolean {
    return this.member(name) !== undefined;
  }

  /** A stream of a member's bytes; NotFoundError when absent. */
  stream(name: string): Readable {
    const m = this.member(name);
    if (!m) throw new NotFoundError(`${this.file}: archive has no ${name}`);
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1 << 20 });
  }

  /** A member's bytes. */
  read(name: string): Buffer {
    const m = this.member(name);
    if (!m) throw new NotFoundError(`${this.file}: archive has no ${name}`);
    const fd = openSync(this.file, 'r');
    try {
      const b = Buffer.alloc(m.size);
      readSync(fd, b, 0, m.size, m.offset);
      return b;
    } finally {
      closeSync(fd);
    }
  }

  /** sha256 of a member, read once. */
  async hash(name: string): Promise<Digest> {
    const h = createHash('sha256');
    for await (const c of this.stream(name)) h.update(c as Buffer);
    return ('sha256:' + h.digest('hex')) as Digest;
  }

  private blobName(d: Digest): string {
    return `blobs/sha256/${digestHex(d)}`;
  }

  async has(digest: Digest): Promise<boolean> {
    return this.exists(this.blobName(digest));
  }

  async get(digest: Digest): Promise<Readable> {
    const n = this.blobName(digest);
    const m = this.member(n);
    if (!m) throw new NotFoundError(`${this.file}: archive has no blob ${digest}`);
    const v = new VerifyingStream(digest, m.size, `${this.file}: ${n}`);
    const s = this.stream(n);
    s.on('error', (e) => v.destroy(e));
    return s.pipe(v);
  }

  async readBuffer(digest: Digest): Promise<Buffer> {
    const n = this.blobName(digest);
    if (!this.exists(n)) throw new NotFoundError(`${this.file}: archive has no blob ${digest}`);
    const b = this.read(n);
    const got = 'sha256:' + createHash('sha256').update(b).digest('hex');
    if (got !== digest) throw new DigestMismatchError(`${this.file}: ${n} hashes to ${got}`);
    return b;
  }
}
