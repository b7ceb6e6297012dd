import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Entry } from './entry.js';

/**
 * The persistent stat index of one context: path → (dev, ino, size, mtime_ns, ctime_ns) → content hash.
 * A record is trusted only when all five stat fields are equal; size + mtime alone are not enough (an edit
 * that keeps both is caught by ctime, which user space cannot set). Records of files changed so recently
 * that a later edit could share their timestamps ("racy", as git calls it) are stored but never trusted.
 */

/** Bumped whenever the file format or the meaning of a stored hash changes. */
export const INDEX_VERSION = 1;

/** How close to the time of hashing a change must be for its record to be racy (covers coarse fs clocks). */
export const RACY_WINDOW_NS = 2_000_000_000n;

/** Stored hashes of one path. */
export interface IndexRecord {
  /** Two-seed xxhash of the content (files), empty for other types. */
  content: string;
  /** Hash of the filtered xattrs, empty when none. */
  xattrs: string;
}

interface Stored extends IndexRecord {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  racy: boolean;
}

type Row = [string, string, string, string, string, string, string, 0 | 1];

/** In-memory view of an index file; `save` writes it atomically. */
export class StatIndex {
  private readonly records = new Map<string, Stored>();
  private dirty = false;

  private constructor(readonly file: string, private readonly racyWindowNs: bigint) {}

  /** Load the index at `file`; a missing, unreadable or other-version file yields an empty index. */
  static async load(file: string, racyWindowNs = RACY_WINDOW_NS): Promise<StatIndex> {
    const index = new StatIndex(file, racyWindowNs);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return index;
    }
    try {
      const doc = JSON.parse(text) as { version: number; entries: Record<string, Row> };
      if (doc.version !== INDEX_VERSION) return index;
      for (const [p, r] of Object.entries(doc.entries)) {
        index.records.set(p, {
          dev: BigInt(r[0]), ino: BigInt(r[1]), size: BigInt(r[2]), mtimeNs: BigInt(r[3]), ctimeNs: BigInt(r[4]),
          content: r[5], xattrs: r[6], racy: r[7] === 1,
        });
      }
    } catch {
      // A corrupt index only costs re-reading: start empty rather than trust any of it.
      index.records.clear();
    }
    return index;
  }

  /** Number of stored records. */
  get size(): number {
    return this.records.size;
  }

  /** The stored hashes of `entry.path` when its stat is identical and the record is not racy. */
  lookup(entry: Entry): IndexRecord | undefined {
    const r = this.records.get(entry.path);
    if (r === undefined || r.racy) return undefined;
    if (r.dev !== entry.dev || r.ino !== entry.ino || r.size !== entry.size) return undefined;
    if (r.mtimeNs !== entry.mtimeNs || r.ctimeNs !== entry.ctimeNs) return undefined;
    return { content: r.content, xattrs: r.xattrs };
  }

  /** Record the hashes of an entry that were computed at `hashedAtNs` (wall clock, ns). */
  set(entry: Entry, rec: IndexRecord, hashedAtNs: bigint): void {
    const latest = entry.mtimeNs > entry.ctimeNs ? entry.mtimeNs : entry.ctimeNs;
    this.records.set(entry.path, {
      dev: entry.dev, ino: entry.ino, size: entry.size, mtimeNs: entry.mtimeNs, ctimeNs: entry.ctimeNs,
      content: rec.content, xattrs: rec.xattrs, racy: latest + this.racyWindowNs > hashedAtNs,
    });
    this.dirty = true;
  }

  /** Drop records of paths not in `keep` (deleted or now ignored files). */
  retain(keep: (path: string) => boolean): void {
    for (const p of this.records.keys()) {
      if (!keep(p)) {
        this.records.delete(p);
        this.dirty = true;
      }
    }
  }

  /** Write the index: temp file → fsync → rename → fsync of the directory. No-op when nothing changed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    const entries: Record<string, Row> = {};
    for (const [p, r] of this.records) {
      entries[p] = [String(r.dev), String(r.ino), String(r.size), String(r.mtimeNs), String(r.ctimeNs),
        r.content, r.xattrs, r.racy ? 1 : 0];
    }
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ version: INDEX_VERSION, entries }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    this.dirty = false;
  }
}
