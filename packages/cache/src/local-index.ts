import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomicSync } from './atomic.js';
import { CacheError } from './errors.js';
import { isCacheEntry, type CacheEntry } from './record.js';

const KEY_RE = /^sha256:[a-f0-9]{64}$/;

/**
 * A pre-image longer than this (as JSON) is kept in a file of its own beside the record (`<hex>.pre.json`):
 * a hit reads only the record. A 10,000-file COPY's pre-image, its per-file list, is half a megabyte that a
 * cached build read and parsed for nothing (only an explanation of a miss reads it).
 */
const PRE_IMAGE_INLINE_MAX = 16 * 1024;

/**
 * The local cache index under `<stateRoot>/cache/`: one immutable JSON file per key (records/<hex>.json, written
 * temp → fsync → rename) and, per slot, an empty marker file per key whose mtime says when the key was last
 * written or hit (slots/<sha256(slot)>/<hex>). Plain files rather than state.db rows: any number of processes
 * can add entries at once without a writer lock, and a half-written entry is never visible.
 */
export class LocalCacheIndex {
  readonly dir: string;
  constructor(stateRoot: string) {
    this.dir = path.join(stateRoot, 'cache');
  }

  private recordPath(key: string): string {
    if (!KEY_RE.test(key)) throw new CacheError(`invalid cache key ${JSON.stringify(key)}`);
    return path.join(this.dir, 'records', key.slice(7) + '.json');
  }

  /** Where a record's pre-image is kept when it is kept apart (PRE_IMAGE_INLINE_MAX). */
  private preImagePath(key: string): string {
    return this.recordPath(key).slice(0, -'.json'.length) + '.pre.json';
  }

  private slotDir(slot: string): string {
    // Concatenated: `dir` is already normal, and path.join's normalising was a millisecond of a cached build.
    return `${this.dir}/slots/${createHash('sha256').update(slot).digest('hex')}`;
  }

  /**
   * The entry of a key, or undefined (an unreadable or malformed record counts as absent). Records are a few
   * kB: one synchronous read costs less than the four thread-pool round trips of an asynchronous one, and a
   * cached build does one per step.
   */
  async get(key: string): Promise<CacheEntry | undefined> {
    const e = this.readRecord(key);
    if (e === undefined || e.preImageApart !== true) return e;
    const pre = readJson(this.preImagePath(key));
    if (typeof pre !== 'object' || pre === null) return undefined;
    const { preImageApart: _, ...whole } = e;
    return { ...whole, preImage: pre as CacheEntry['preImage'] };
  }

  /**
   * The entry of a key for a cache hit: its result, slot and time. Its pre-image is left unread when it is
   * kept apart (then `preImage` holds only `parent`): use get() for anything that reads the pre-image.
   */
  async peek(key: string): Promise<CacheEntry | undefined> {
    return this.readRecord(key);
  }

  /** The record file of a key as stored, or undefined (an unreadable or malformed record counts as absent). */
  private readRecord(key: string): (CacheEntry & { preImageApart?: true }) | undefined {
    const e = readJson(this.recordPath(key));
    return isCacheEntry(e) && e.key === key ? e : undefined;
  }

  /**
   * Stores an entry (a key already present is left as it is: entries are immutable). Synchronous calls, like
   * get and touch: a record is a few kB, and the thread pool's round trips cost more than the calls (a build
   * of metadata steps is mostly these writes).
   */
  async put(entry: CacheEntry): Promise<void> {
    const file = this.recordPath(entry.key);
    if (statSync(file, { throwIfNoEntry: false }) === undefined) {
      const pre = JSON.stringify(entry.preImage);
      if (pre.length <= PRE_IMAGE_INLINE_MAX) writeFileAtomicSync(file, JSON.stringify(entry));
      else {
        // The pre-image first: a record that says it is apart always finds it.
        writeFileAtomicSync(this.preImagePath(entry.key), pre);
        const parent = entry.preImage.parent;
        writeFileAtomicSync(file, JSON.stringify({ ...entry, preImage: parent === undefined ? {} : { parent }, preImageApart: true }));
      }
    }
    await this.touch(entry.slot, entry.key);
  }

  /**
   * Marks a key as used now (for expiry and for "nearest" ordering). Synchronous, like get: on a hit the marker
   * exists and this is one utimes call.
   */
  async touch(slot: string, key: string): Promise<void> {
    const dir = this.slotDir(slot);
    const marker = `${dir}/${key.slice(7)}`;
    const now = new Date();
    try {
      utimesSync(marker, now, now);
    } catch {
      mkdirSync(dir, { recursive: true });
      writeFileSync(marker, '');
    }
  }

  /** Entries stored under a slot, most recently used first; at most `limit` of them are read. */
  async bySlot(slot: string, limit = Infinity): Promise<CacheEntry[]> {
    const dir = this.slotDir(slot);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    const timed = names.map((n) => ({ n, t: statSync(`${dir}/${n}`, { throwIfNoEntry: false })?.mtimeMs ?? 0 }));
    timed.sort((a, b) => b.t - a.t);
    const out: CacheEntry[] = [];
    for (const { n } of timed.slice(0, limit)) {
      const e = await this.get(`sha256:${n}`);
      if (e) out.push(e);
    }
    return out;
  }

  /** Every entry (for `strata cache ls` and prune). */
  async list(): Promise<CacheEntry[]> {
    const names = await readdir(path.join(this.dir, 'records')).catch(() => [] as string[]);
    const out: CacheEntry[] = [];
    for (const n of names.filter((x) => x.endsWith('.json') && !x.endsWith('.pre.json'))) {
      const e = await this.get(`sha256:${n.slice(0, -5)}`);
      if (e) out.push(e);
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Removes an entry and its slot marker. */
  async delete(key: string): Promise<boolean> {
    const e = await this.peek(key);
    await rm(this.recordPath(key), { force: true });
    await rm(this.preImagePath(key), { force: true });
    if (e) await rm(path.join(this.slotDir(e.slot), key.slice(7)), { force: true });
    return e !== undefined;
  }

  /** When a key was last written or hit (ms since epoch), or undefined. */
  async lastUsed(entry: CacheEntry): Promise<number | undefined> {
    return (await stat(path.join(this.slotDir(entry.slot), entry.key.slice(7))).catch(() => undefined))?.mtimeMs;
  }
}

/** A JSON file's value, or undefined when it cannot be read or parsed. Sync: records are small (see get). */
function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
