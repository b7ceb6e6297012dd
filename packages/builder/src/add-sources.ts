import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, writeFile, utimes, chmod, lchown } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { decompress, extractLayer } from '@strata/oci';
import { BuildError } from './errors.js';

/** True for the sources ADD downloads. */
export const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** The archive formats ADD unpacks, sniffed from the first bytes as Docker does (never from the name). */
export type ArchiveKind = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'tar';

/** Which archive a local file is, if any. */
export async function sniffArchive(file: string): Promise<ArchiveKind | undefined> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const b = head.subarray(0, bytesRead);
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
    if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
    if (b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
    if (bytesRead >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return undefined;
  } finally {
    await fh.close();
  }
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

/** Downloads an ADD URL into `destFile`, verifying `--checksum` when given. Mode 0600 as BuildKit sets it. */
export async function download(url: string, destFile: string, checksum: string | null, uid: number, gid: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    throw new BuildError(`ADD ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new BuildError(`ADD ${url}: HTTP ${res.status} ${res.statusText}`);
  const data = Buffer.from(await res.arrayBuffer());
  if (checksum !== null) {
    const [algo, want] = checksum.includes(':') ? checksum.split(':', 2) as [string, string] : ['sha256', checksum];
    if (!['sha256', 'sha384', 'sha512'].includes(algo)) throw new BuildError(`ADD --checksum=${checksum}: unsupported algorithm ${algo}`);
    const got = createHash(algo).update(data).digest('hex');
    if (got !== want) throw new BuildError(`ADD ${url}: checksum mismatch: want ${algo}:${want}, got ${algo}:${got}`);
  }
  await writeFile(destFile, data);
  await chmod(destFile, 0o600);
  await lchown(destFile, uid, gid);
  const lm = res.headers.get('last-modified');
  if (lm && !Number.isNaN(Date.parse(lm))) await utimes(destFile, new Date(lm), new Date(lm));
}

/** The file name an ADD URL saves under: the last path segment. */
export function urlFileName(url: string): string {
  const name = path.posix.basename(new URL(url).pathname);
  if (!name) throw new BuildError(`ADD ${url}: cannot determine a file name; give a destination file path`);
  return name;
}
