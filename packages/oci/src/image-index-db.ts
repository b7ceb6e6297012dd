import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';

/** One named image in the local store. */
export interface ImageRecord {
  name: string;
  digest: Digest;
  mediaType: string;
  size: number;
  /** When the name was last set (ms since epoch). */
  updated: number;
}

const TEMP = '.tmp-';

/**
 * Image names → manifest descriptors, one small JSON file per name under `<root>/names/` (named by the
 * sha256 of the name, so any name fits a file name), written temp → fsync → rename: any number of strata
 * processes read and write names at once, and a reader sees a whole record or none. Plain files rather than
 * SQLite (state.db, which earlier versions used and which is read once into names/ when found): loading the
 * SQLite addon and opening the database were 10–12 ms of every command on this machine.
 */
export class ImageIndex {
  private readonly dir: string;
  constructor(root: string) {
    this.dir = path.join(root, 'names');
    if (!existsSync(this.dir)) createNamesDir(root, this.dir);
  }

  private fileOf(name: string): string {
    return path.join(this.dir, createHash('sha256').update(name).digest('hex'));
  }

  /** Points `name` at a manifest (replacing what it named before). */
  set(name: string, desc: Descriptor): void {
    writeRecord(this.dir, this.fileOf(name), { name, digest: desc.digest, mediaType: desc.mediaType, size: desc.size, updated: Date.now() });
  }

  /** The record for a name, or undefined. */
  get(name: string): ImageRecord | undefined {
    return readRecord(this.fileOf(name));
  }

  /** Removes a name; true when it existed. */
  delete(name: string): boolean {
    try {
      unlinkSync(this.fileOf(name));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Every name, sorted. */
  list(): ImageRecord[] {
    const out: ImageRecord[] = [];
    for (const f of readdirSync(this.dir)) {
      if (f.startsWith(TEMP)) continue;
      const r = readRecord(path.join(this.dir, f));
      if (r) out.push(r);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Names pointing at a manifest digest. */
  namesOf(digest: Digest): string[] {
    return this.list().filter((r) => r.digest === digest).map((r) => r.name);
  }

  /** Nothing to release (kept for callers that close the store). */
  close(): void {}
}

/** A record file, or undefined when there is none (a name removed meanwhile). */
function readRecord(file: string): ImageRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as ImageRecord;
}

/** temp → fsync → rename, in the names directory itself (the rename stays on one filesystem). */
function writeRecord(dir: string, file: string, r: ImageRecord): void {
  const tmp = path.join(dir, `${TEMP}${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(r));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes `names/`: empty, or holding the names of an older store's state.db (read with better-sqlite3, loaded
 * only then). Built aside and renamed into place, so a concurrent first run sees a whole directory or none.
 */
function createNamesDir(root: string, dir: string): void {
  mkdirSync(root, { recursive: true });
  const aside = `${dir}${TEMP}${process.pid}-${randomBytes(6).toString('hex')}`;
  mkdirSync(aside);
  try {
    const db = path.join(root, 'state.db');
    if (existsSync(db)) {
      const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
      const h = new Database(db, { readonly: true, fileMustExist: true, timeout: 15000 });
      try {
        const hasTable = h.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'images'").get() !== undefined;
        const rows = hasTable ? h.prepare('SELECT name, digest, media_type AS mediaType, size, updated FROM images').all() as ImageRecord[] : [];
        for (const r of rows) writeRecord(aside, path.join(aside, createHash('sha256').update(r.name).digest('hex')), r);
      } finally {
        h.close();
      }
    }
    renameSync(aside, dir);
  } catch (e) {
    rmSync(aside, { recursive: true, force: true });
    // Another process made it first: theirs is as good.
    if (existsSync(dir)) return;
    throw e;
  }
}
