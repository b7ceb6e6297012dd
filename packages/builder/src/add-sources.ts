import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, lchown, mkdir, open, readFile, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeHeader, decompress, extractLayer, isZeroBlock, OciError } from '@strata/oci';
import { drain, send, type HttpResponse } from '@strata/registry';
import { BuildError } from './errors.js';

/** True for the sources ADD downloads. */
export const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** The archive formats ADD unpacks, sniffed from the content as Docker does (never from the name). */
export type ArchiveKind = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'tar';

/** The compression a file's first bytes name, or 'tar' for none. */
function compressionOf(b: Buffer): ArchiveKind {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'tar';
}

/**
 * True when `b` is a tar header a reader would take, as Go's archive/tar decides: not a zero block, and
 * @strata/oci's decodeHeader accepts it (checksum summed as unsigned or signed bytes, number fields valid).
 * Old V7 archives have no "ustar" magic, so the magic is not asked for.
 */
export function isTarHeader(b: Buffer): boolean {
  if (b.length < 512 || isZeroBlock(b)) return false;
  try {
    decodeHeader(b, 'ADD');
    return true;
  } catch (e) {
    if (e instanceof OciError) return false;
    throw e;
  }
}

/** The first `n` bytes of `stream` (fewer at its end or on an error), then the stream is let go. */
async function headOf(stream: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  try {
    for await (const c of stream) {
      parts.push(c as Buffer);
      have += (c as Buffer).length;
      if (have >= n) break;
    }
  } catch {
    // A corrupt stream: whatever came before the error is the head.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** The first `n` bytes of what `tool -dc` makes of `file`; the tool is stopped once they are read. */
async function toolHead(tool: string, file: string, n: number): Promise<Buffer> {
  const p = spawn(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => { p.on('close', () => resolve()); p.on('error', () => resolve()); });
  const head = await headOf(p.stdout, n);
  p.kill();
  await exited;
  return head;
}

/** What a local file's content is: the compression its first bytes name ('tar' for none), and whether it holds a tar. */
export interface Sniffed {
  compression: ArchiveKind;
  tar: boolean;
}

/**
 * Which archive a local file is, if any: as Docker decides, a file is unpacked when its content, decompressed
 * where its first bytes name gzip, bzip2, xz or zstd, starts with a valid tar header. Anything else (a gzipped
 * text file, an empty tar, a corrupt stream) is copied as it is.
 */
export async function sniffArchive(file: string): Promise<ArchiveKind | undefined> {
  const s = await sniffFile(file);
  return s.tar ? s.compression : undefined;
}

/** The compression of a local file and whether, decompressed, it starts with a tar header. */
export async function sniffFile(file: string): Promise<Sniffed> {
  const fh = await open(file, 'r');
  let kind: ArchiveKind;
  let head: Buffer;
  try {
    head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    head = head.subarray(0, bytesRead);
    kind = compressionOf(head);
  } finally {
    await fh.close();
  }
  if (kind === 'gzip' || kind === 'zstd') head = await headOf(decompress(createReadStream(file)), 512);
  else if (kind !== 'tar') head = await toolHead(kind, file, 512);
  return { compression: kind, tar: isTarHeader(head) };
}

/** Decompresses with a tool where Node has no codec (bzip2, xz: Debian's own binaries). */
function viaTool(tool: string, file: string): Readable {
  const p = spawn(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  p.on('close', (code) => {
    if (code !== 0) p.stdout.destroy(new BuildError(`ADD ${path.basename(file)}: ${tool} failed: ${err.trim().split('\n')[0] ?? code}`));
  });
  return p.stdout;
}

/** Unpacks a local archive into `destDir` (ADD's auto-extraction), never writing outside it. */
export async function unpackArchive(file: string, kind: ArchiveKind, destDir: string): Promise<void> {
  const stream = kind === 'bzip2' ? viaTool('bzip2', file) : kind === 'xz' ? viaTool('xz', file) : decompress(createReadStream(file));
  await extractLayer(stream, destDir, { whiteouts: 'apply', source: path.basename(file) });
}

/** A fetched ADD URL: its bytes in a temp file under the store, their sha256, and Last-Modified. */
export interface Fetched {
  file: string;
  sha256: string;
  lastModified?: Date;
}

/**
 * ADD URLs of one build, each fetched once: first to key the step (BuildKit keys a URL by the content it
 * serves, so a changed file on the server is a miss), then reused by the step itself.
 */
export class Downloads {
  private readonly fetched = new Map<string, Promise<Fetched>>();
  constructor(private readonly tmpDir: string) {}

  /** The content of `url`, fetched on first use. */
  get(url: string): Promise<Fetched> {
    let f = this.fetched.get(url);
    if (!f) this.fetched.set(url, (f = this.fetch(url)));
    return f;
  }

  /** Removes the temp files. */
  async close(): Promise<void> {
    for (const f of this.fetched.values()) await f.then((x) => rm(x.file, { force: true }), () => {});
  }

  private async fetch(url: string): Promise<Fetched> {
    // The registry's transport: redirects, retries, an idle timeout, and the trusted CAs strata reads itself.
    let res: HttpResponse;
    try {
      res = await send({ method: 'GET', url }, { idleTimeoutMs: 120_000 });
    } catch (e) {
      throw new BuildError(`ADD ${url}: ${(e as Error).message}`);
    }
    if (res.status < 200 || res.status > 299) {
      drain(res);
      throw new BuildError(`ADD ${url}: HTTP ${res.status}`);
    }
    await mkdir(this.tmpDir, { recursive: true });
    const file = path.join(this.tmpDir, `download-${process.pid}-${randomBytes(6).toString('hex')}`);
    const h = createHash('sha256');
    const tap = new Transform({ transform(c: Buffer, _e, cb) { h.update(c); cb(null, c); } });
    await pipeline(res.body, tap, createWriteStream(file));
    const lm = res.headers['last-modified'];
    const out: Fetched = { file, sha256: h.digest('hex') };
    if (lm && !Number.isNaN(Date.parse(lm))) out.lastModified = new Date(lm);
    return out;
  }
}

/** Places a fetched ADD URL at `destFile`, verifying `--checksum` when given. Mode 0600 as BuildKit sets it, unless --chmod. */
export async function placeDownload(url: string, got: Fetched, destFile: string, checksum: string | null, uid: number, gid: number, mode = 0o600): Promise<void> {
  if (checksum !== null) {
    const [algo, want] = checksum.includes(':') ? checksum.split(':', 2) as [string, string] : ['sha256', checksum];
    if (!['sha256', 'sha384', 'sha512'].includes(algo)) throw new BuildError(`ADD --checksum=${checksum}: unsupported algorithm ${algo}`);
    const have = algo === 'sha256' ? got.sha256 : createHash(algo).update(await readFile(got.file)).digest('hex');
    if (have !== want) throw new BuildError(`ADD ${url}: checksum mismatch: want ${algo}:${want}, got ${algo}:${have}`);
  }
  await copyFile(got.file, destFile);
  await chmod(destFile, mode);
  await lchown(destFile, uid, gid);
  if (got.lastModified) await utimes(destFile, got.lastModified, got.lastModified);
}

/** The file name an ADD URL saves under: the last path segment. */
export function urlFileName(url: string): string {
  const name = path.posix.basename(new URL(url).pathname);
  if (!name) throw new BuildError(`ADD ${url}: cannot determine a file name; give a destination file path`);
  return name;
}
