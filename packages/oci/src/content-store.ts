import { createHash, randomBytes } from 'node:crypto';
import { accessSync, closeSync, fstatSync, readSync, statSync, createReadStream, mkdirSync, openSync, promises as fsp, renameSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { digestHex, isDigest, parseDigest, type Digest } from './digest.js';
import { DigestMismatchError, NotFoundError } from './errors.js';
import { BlobWriter, fsyncFd } from './blob-writer.js';
import { VerifyingStream } from './verifying-stream.js';

export { VerifyingStream } from './verifying-stream.js';

/** What a put must match; a mismatch rejects the put and leaves nothing in the store. */
export interface PutExpect {
  digest?: Digest;
  size?: number;
}

/** A stored blob's identity. */
export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** One problem `fsck` found. */
export interface FsckProblem {
  path: string;
  digest?: Digest;
  problem: string;
}

/** Result of `fsck`: how many blobs were re-hashed and what is wrong. */
export interface FsckReport {
  checked: number;
  bytes: number;
  problems: FsckProblem[];
}

/** Anything `put` accepts. */
export type PutSource = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

async function* chunksOf(src: PutSource): AsyncIterable<Uint8Array> {
  if (typeof src === 'string') yield Buffer.from(src);
  else if (src instanceof Uint8Array) yield src;
  else yield* src as AsyncIterable<Uint8Array>;
}

/** Read access to verified blobs: the content store, an OCI layout dir, a tar archive's members. */
export interface BlobSource {
  /** A verifying stream of the blob; NotFoundError when absent. */
  get(digest: Digest): Promise<Readable>;
  /** The whole blob, verified. */
  readBuffer(digest: Digest): Promise<Buffer>;
  has(digest: Digest): Promise<boolean>;
}

/** Options of ContentStore. */
export interface ContentStoreOptions {
  /** Only read: create no directories (for an OCI layout being read). */
  readOnly?: boolean;
  /** Where temp files go; default `<root>/tmp`. Must be on the same filesystem as the blobs. */
  tmpDir?: string;
}

/**
 * The content-addressed blob store of DESIGN §4: `<root>/blobs/sha256/<hex>`, written through `<root>/tmp/`.
 * Every put is temp file → fsync → rename, so a blob under its final name is always whole; concurrent puts of
 * the same blob from several processes race harmlessly on the rename (same bytes either way).
 */
export class ContentStore implements BlobSource {
  /** `<root>/blobs/sha256` */
  readonly blobDir: string;
  /** `<root>/tmp` */
  readonly tmpDir: string;

  constructor(readonly root: string, opts: ContentStoreOptions = {}) {
    this.blobDir = path.join(root, 'blobs', 'sha256');
    this.tmpDir = opts.tmpDir ?? path.join(root, 'tmp');
    if (!opts.readOnly) {
      mkdirSync(this.blobDir, { recursive: true });
      mkdirSync(this.tmpDir, { recursive: true });
    }
  }

  /** Where a blob lives (whether or not it is present). */
  pathOf(digest: Digest): string {
    // The hex of a parsed digest is [0-9a-f] only: joined by hand, as path.join's normalising cost ~1.5 ms of
    // a cached build's blob checks.
    return `${this.blobDir}/${digestHex(parseDigest(digest))}`;
  }

  /** A fresh unique temp path under tmp/ (for callers that build files to rename into the store). */
  tempPath(hint = 'blob'): string {
    return path.join(this.tmpDir, `${hint}-${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Stores a blob. Idempotent: a blob already present is not rewritten. With `expect`, the digest and size
   * are checked before the blob becomes visible; a mismatch throws DigestMismatchError and stores nothing.
   */
  async put(src: PutSource, expect: PutExpect = {}, what = 'blob'): Promise<BlobInfo> {
    const present = expect.digest === undefined ? undefined : statSync(this.pathOf(expect.digest), { throwIfNoEntry: false });
    if (expect.digest && present !== undefined) {
      // Drain a stream the caller handed over so that its producer does not stall or leak.
      if (src instanceof Readable) src.resume();
      const size = present.size;
      if (expect.size !== undefined && size !== expect.size) {
        throw new DigestMismatchError(`${what}: size ${expect.size} given for ${expect.digest}, stored blob has ${size}`);
      }
      return { digest: expect.digest, size };
    }
    const w = new BlobWriter(this.tempPath());
    try {
      for await (const chunk of chunksOf(src)) {
        if (expect.size !== undefined && w.size + chunk.length > expect.size) {
          throw new DigestMismatchError(`${what}: more than the expected ${expect.size} bytes`);
        }
        // Streams never reuse a chunk's memory, so a chunk stays intact until its write completes.
        await w.write(chunk);
      }
      const { digest, size } = await w.finish();
      if (expect.size !== undefined && size !== expect.size) {
        throw new DigestMismatchError(`${what}: size ${size}, expected ${expect.size}`);
      }
      if (expect.digest && digest !== expect.digest) {
        throw new DigestMismatchError(`${what}: content hashes to ${digest}, expected ${expect.digest}`);
      }
      renameSync(w.file, this.pathOf(digest));
      await this.syncDir();
      return { digest, size };
    } catch (e) {
      // An abandoned source may still report its own verdict later (a VerifyingStream at its end): that
      // must not become an unhandled 'error' event once the put has already failed.
      if (src instanceof Readable) {
        src.on('error', () => undefined);
        src.destroy();
      }
      await w.abort();
      throw e;
    }
  }

  /** Moves an already written and fsynced file (e.g. from tempPath()) into the store under its digest. */
  async adopt(file: string, info: BlobInfo): Promise<void> {
    await fsp.rename(file, this.pathOf(info.digest));
    await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    const fd = openSync(this.blobDir, 'r');
    try {
      await fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** True when the blob is present (one access(2), synchronous: cheaper than a thread-pool round trip). */
  async has(digest: Digest): Promise<boolean> {
    try {
      accessSync(this.pathOf(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** Size and digest of a present blob, or undefined. */
  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await fsp.stat(this.pathOf(digest));
      return { digest, size: st.size };
    } catch {
      return undefined;
    }
  }

  /** Size of a present blob; NotFoundError otherwise. */
  async size(digest: Digest): Promise<number> {
    const st = await this.stat(digest);
    if (!st) throw new NotFoundError(`blob ${digest} not found in ${this.root}`);
    return st.size;
  }

  /**
   * A stream of the blob that re-hashes as it goes and errors at end of stream if the bytes on disk no longer
   * match the name. NotFoundError when absent.
   */
  async get(digest: Digest): Promise<Readable> {
    const p = this.pathOf(digest);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(p, 'r');
    } catch {
      throw new NotFoundError(`blob ${digest} not found in ${this.root}`);
    }
    const raw = fh.createReadStream({ highWaterMark: 1 << 20 });
    const verify = new VerifyingStream(digest, undefined, `blob ${digest} in ${this.blobDir}`);
    raw.on('error', (e) => verify.destroy(e));
    // pipe() does not pass a consumer's destroy back upstream: close the file as soon as the reader is done,
    // whatever the reason, rather than leaving the handle to the garbage collector.
    verify.once('close', () => raw.destroy());
    return raw.pipe(verify);
  }

  /** The whole blob, verified. For manifests and configs; layers should be streamed. */
  async readBuffer(digest: Digest): Promise<Buffer> {
    const data = readSmall(this.pathOf(digest)) ?? await fsp.readFile(this.pathOf(digest)).catch(() => {
      throw new NotFoundError(`blob ${digest} not found in ${this.root}`);
    });
    const got = 'sha256:' + createHash('sha256').update(data).digest('hex');
    if (got !== digest) throw new DigestMismatchError(`blob ${digest} in ${this.blobDir}: content hashes to ${got}`);
    return data;
  }

  /** Removes a blob; true when it was present. */
  async delete(digest: Digest): Promise<boolean> {
    try {
      await fsp.unlink(this.pathOf(digest));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Every blob present (name-valid ones), in name order. */
  async *walk(): AsyncIterable<BlobInfo> {
    const names = (await fsp.readdir(this.blobDir)).sort();
    for (const n of names) {
      const digest = `sha256:${n}`;
      if (!isDigest(digest)) continue;
      const st = await fsp.lstat(path.join(this.blobDir, n)).catch(() => undefined);
      if (st?.isFile()) yield { digest, size: st.size };
    }
  }

  /**
   * Re-hashes every blob and reports names that are not digests, non-files and content that does not match
   * its name. With `repair`, bad blobs are deleted (they are never trusted anyway).
   */
  async fsck(opts: { repair?: boolean } = {}): Promise<FsckReport> {
    const report: FsckReport = { checked: 0, bytes: 0, problems: [] };
    for (const n of (await fsp.readdir(this.blobDir)).sort()) {
      const p = path.join(this.blobDir, n);
      const digest = `sha256:${n}`;
      if (!isDigest(digest)) {
        report.problems.push({ path: p, problem: 'name is not a sha256 digest' });
        continue;
      }
      const st = await fsp.lstat(p);
      if (!st.isFile()) {
        report.problems.push({ path: p, digest, problem: 'not a regular file' });
        continue;
      }
      const hash = createHash('sha256');
      for await (const c of createReadStream(p, { highWaterMark: 1 << 20 })) hash.update(c as Buffer);
      report.checked++;
      report.bytes += st.size;
      const got = 'sha256:' + hash.digest('hex');
      if (got !== digest) {
        report.problems.push({ path: p, digest, problem: `content hashes to ${got}` });
        if (opts.repair) await fsp.rm(p, { force: true });
      }
    }
    return report;
  }

  /** Removes temp files older than `maxAgeMs` left by killed processes. */
  async cleanTmp(maxAgeMs = 24 * 3600 * 1000): Promise<number> {
    let n = 0;
    for (const f of await fsp.readdir(this.tmpDir)) {
      const p = path.join(this.tmpDir, f);
      const st = await fsp.lstat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) {
        await fsp.rm(p, { recursive: true, force: true });
        n++;
      }
    }
    return n;
  }
}

/** Up to this size readBuffer reads synchronously (a manifest or config: four thread-pool round trips saved). */
const SMALL_BLOB = 256 << 10;

/** The whole file when it is at most SMALL_BLOB bytes; undefined when larger or unreadable (the caller reads it). */
function readSmall(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > SMALL_BLOB) return undefined;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
