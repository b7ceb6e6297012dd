import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, readlink, rename, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor, Digest } from '@strata/oci';
import type { CacheBackend } from './backend.js';
import { RemoteCacheError } from './errors.js';
import { eachLimit } from './pool.js';

/** One path of a file set: a directory, a regular file (by content digest) or a symlink. */
export interface FileSetEntry {
  path: string;
  type: 'dir' | 'file' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size?: number;
  digest?: Digest;
  target?: string;
}

/** A directory tree as a content-addressed document: the files are blobs, this lists them (paths sorted). */
export interface FileSet {
  v: 1;
  entries: FileSetEntry[];
}

/** What a file-set export or import moved. */
export interface FileSetStats {
  files: number;
  /** Files whose content was sent or fetched (the rest the other side already had). */
  transferred: number;
  bytes: number;
}

const FILE_TYPE = 'application/octet-stream';
const SET_TYPE = 'application/vnd.strata.cache.fileset.v1+json';
/** Beyond this many files a registry pointer lists only the set (a manifest holds at most a few MB). */
const MAX_LISTED = 5000;

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

async function hashFile(file: string): Promise<Digest> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}` as Digest;
}

/** Reads a directory into a FileSet (sockets, devices and fifos are skipped: they do not travel). */
export async function scanFileSet(dir: string): Promise<FileSet> {
  const entries: FileSetEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const full = path.join(dir, r);
      const st = await lstat(full);
      const base = { path: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: Math.trunc(st.mtimeMs) };
      if (st.isDirectory()) {
        entries.push({ ...base, type: 'dir' });
        await walk(r);
      } else if (st.isFile()) entries.push({ ...base, type: 'file', size: st.size, digest: await hashFile(full) });
      else if (st.isSymbolicLink()) entries.push({ ...base, type: 'symlink', target: await readlink(full) });
    }
  };
  await walk('');
  return { v: 1, entries };
}

function pointerName(name: string): string {
  return `mount-${name}`;
}

/**
 * Exports a cache mount's directory as a file set: only file contents the remote lacks are uploaded (each
 * after an existence check), then the set document, then the pointer `mount-<name>` is replaced to name it.
 */
export async function exportFileSet(backend: CacheBackend, name: string, dir: string): Promise<FileSetStats> {
  const set = await scanFileSet(dir);
  const files = set.entries.filter((e) => e.type === 'file');
  const blobs = new Map<string, Descriptor>();
  for (const f of files) blobs.set(f.digest!, { mediaType: FILE_TYPE, digest: f.digest!, size: f.size! });
  const stats: FileSetStats = { files: files.length, transferred: 0, bytes: 0 };
  const byDigest = new Map(files.map((f) => [f.digest!, f.path] as const));
  await eachLimit([...blobs.values()], 8, async (d) => {
    const r = await backend.writeBlob(d, async () => createReadStream(path.join(dir, byDigest.get(d.digest)!)));
    if (r === 'uploaded') {
      stats.transferred++;
      stats.bytes += d.size;
    }
  });
  const doc = Buffer.from(JSON.stringify(set));
  const setDesc: Descriptor = { mediaType: SET_TYPE, digest: sha(doc), size: doc.length };
  await backend.writeBlob(setDesc, async () => Readable.from([doc]));
  const listed = blobs.size <= MAX_LISTED ? [...blobs.values()] : [];
  await backend.writePointer(pointerName(name), Buffer.from(JSON.stringify({ set: setDesc, updated: new Date().toISOString() })), [setDesc, ...listed]);
  return stats;
}

async function readVerified(backend: CacheBackend, d: Descriptor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await backend.readBlob(d)) chunks.push(c as Buffer);
  const b = Buffer.concat(chunks);
  if (sha(b) !== d.digest) throw new RemoteCacheError(`${backend.label}: file set ${d.digest} is corrupt`);
  return b;
}

/**
 * Restores a cache mount from the remote's latest file set into `dir` (created when absent): files the
 * directory already holds with the same content are kept, others are fetched (verified, temp → rename).
 * Returns undefined when the remote has no set of that name.
 */
export async function importFileSet(backend: CacheBackend, name: string, dir: string): Promise<FileSetStats | undefined> {
  const ptr = await backend.readPointer(pointerName(name));
  if (ptr === undefined) return undefined;
  let set: FileSet;
  try {
    const p = JSON.parse(ptr.toString('utf8')) as { set: Descriptor };
    set = JSON.parse((await readVerified(backend, p.set)).toString('utf8')) as FileSet;
    if (set.v !== 1 || !Array.isArray(set.entries)) throw new Error('bad document');
  } catch (e) {
    if (e instanceof RemoteCacheError) throw e;
    throw new RemoteCacheError(`${backend.label}: file set of cache mount ${name} is malformed`);
  }
  const stats: FileSetStats = { files: 0, transferred: 0, bytes: 0 };
  await mkdir(dir, { recursive: true });
  const safe = (rel: string): string => {
    const full = path.resolve(dir, rel);
    if (!full.startsWith(path.resolve(dir) + path.sep)) throw new RemoteCacheError(`${backend.label}: file set path ${rel} leaves the cache mount`);
    return full;
  };
  for (const e of set.entries.filter((x) => x.type === 'dir')) await mkdir(safe(e.path), { recursive: true });
  const files = set.entries.filter((x) => x.type === 'file');
  stats.files = files.length;
  await eachLimit(files, 8, async (e) => {
    const full = safe(e.path);
    const st = await lstat(full).catch(() => undefined);
    if (st?.isFile() && st.size === e.size && (await hashFile(full)) === e.digest) return;
    const tmp = `${full}.strata-${randomBytes(4).toString('hex')}`;
    const h = createHash('sha256');
    try {
      const src = await backend.readBlob({ mediaType: FILE_TYPE, digest: e.digest!, size: e.size! });
      await pipeline(src, async function* (s: AsyncIterable<Buffer>) { for await (const c of s) { h.update(c); yield c; } }, createWriteStream(tmp, { mode: 0o600 }));
      if (`sha256:${h.digest('hex')}` !== e.digest) throw new RemoteCacheError(`${backend.label}: cache mount file ${e.path} is corrupt`);
      if (st) await rm(full, { recursive: true, force: true });
      await rename(tmp, full);
    } finally {
      await rm(tmp, { force: true });
    }
    stats.transferred++;
    stats.bytes += e.size!;
  });
  for (const e of set.entries.filter((x) => x.type === 'symlink')) {
    const full = safe(e.path);
    await rm(full, { force: true, recursive: true });
    await symlink(e.target!, full);
  }
  // Owners, modes and times last, deepest first, so writing children does not disturb a parent's mtime.
  for (const e of [...set.entries].reverse()) {
    const full = safe(e.path);
    await lchown(full, e.uid, e.gid).catch(() => {});
    if (e.type !== 'symlink') {
      await chmod(full, e.mode);
      await utimes(full, e.mtimeMs / 1000, e.mtimeMs / 1000);
    }
  }
  return stats;
}
