import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { statKeyOf, type Entry } from './entry.js';

/**
 * The persistent stat index of one context: path → (dev, ino, size, mtime_ns, ctime_ns) → content hash.
 * A record is trusted only when all five stat fields are equal; size + mtime alone are not enough (an edit
 * that keeps both is caught by ctime, which user space cannot set). Records of files changed so recently
 * that a later edit could share their timestamps ("racy", as git calls it) are stored but never trusted.
 */

/** Bumped whenever the file format or the meaning of a stored hash changes. */
export const INDEX_VERSION = 2;

/** How close to the time of hashing a change must be for its record to be racy (covers coarse fs clocks). */
export const RACY_WINDOW_NS = 2_000_000_000n;

/**
 * The window for a file whose times carry nanoseconds: its filesystem stamps times from the kernel's clock,
 * whose tick is 1–10 ms (FAT's 2 s and ext3's 1 s times have none). 100 ms keeps a tenfold margin, and a
 * context written just before a build is not re-read by the next one.
 */
export const FINE_RACY_WINDOW_NS = 100_000_000n;

/** Stored hashes of one path. */
export interface IndexRecord {
  /** Two-seed xxhash of the content (files), empty for other types. */
  content: string;
  /** Hash of the filtered xattrs, empty when none. */
  xattrs: string;
}

/** `dev:ino:size:mtime_ns:ctime_ns` (decimal), content hash, xattr hash, racy flag. */
type Row = [string, string, string, 0 | 1];

/** In-memory view of an index file; `save` writes it atomically. */
export class StatIndex {
  // Rows stay as parsed (four values, the stat fields as one key string): loading a 10k-entry index is one
  // JSON.parse, and a lookup one string comparison.
  private rows: Record<string, Row> = Object.create(null) as Record<string, Row>;
  /** Number of rows, counted when first asked for (a load does not count 10,000 keys it may never need). */
  private count: number | undefined = 0;
  private dirty = false;

  private constructor(readonly file: string, private readonly racyWindowNs: bigint) {}

  /** Load the index at `file`; a missing, unreadable or other-version file yields an empty index. */
  static async load(file: string, racyWindowNs = RACY_WINDOW_NS): Promise<StatIndex> {
    return StatIndex.loadSync(file, racyWindowNs);
  }

  /**
   * `load`, synchronously: a context loads its index only when some file's record is wanted (a COPY of an
   * unchanged tree answered by the tree memo needs none), possibly from a synchronous getter.
   */
  static loadSync(file: string, racyWindowNs = RACY_WINDOW_NS): StatIndex {
    const index = new StatIndex(file, racyWindowNs);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return index;
    }
    try {
      const doc = JSON.parse(text) as { version: number; entries: Record<string, Row> };
      if (doc.version !== INDEX_VERSION || typeof doc.entries !== 'object' || doc.entries === null) return index;
      // The parsed object itself, without a prototype (no path reads an inherited member): copying 10,000
      // keys into a fresh object and counting them cost more than the parse.
      index.rows = Object.setPrototypeOf(doc.entries, null) as Record<string, Row>;
      index.count = undefined;
    } catch {
      // A corrupt index only costs re-reading: start empty rather than trust any of it.
    }
    return index;
  }

  /** Number of stored records. */
  get size(): number {
    return (this.count ??= Object.keys(this.rows).length);
  }

  /** The stored hashes of `entry.path` when its stat is identical and the record is not racy. */
  lookup(entry: Entry): IndexRecord | undefined {
    const r = this.rows[entry.path];
    if (r === undefined || !Array.isArray(r) || r.length !== 4 || r[3] !== 0 || r[0] !== statKeyOf(entry)) return undefined;
    return { content: r[1], xattrs: r[2] };
  }

  /** Record the hashes of an entry that were computed at `hashedAtNs` (wall clock, ns); true when racy. */
  set(entry: Entry, rec: IndexRecord, hashedAtNs: bigint): boolean {
    const latest = entry.mtimeNs > entry.ctimeNs ? entry.mtimeNs : entry.ctimeNs;
    const fine = entry.mtimeNs % 1_000_000_000n !== 0n && entry.ctimeNs % 1_000_000_000n !== 0n;
    const window = fine && FINE_RACY_WINDOW_NS < this.racyWindowNs ? FINE_RACY_WINDOW_NS : this.racyWindowNs;
    if (this.rows[entry.path] === undefined && this.count !== undefined) this.count++;
    const racy = latest + window > hashedAtNs;
    this.rows[entry.path] = [statKeyOf(entry), rec.content, rec.xattrs, racy ? 1 : 0];
    this.dirty = true;
    return racy;
  }

  /** Drop records of paths not in `keep` (deleted or now ignored files). */
  retain(keep: (path: string) => boolean): void {
    for (const p of Object.keys(this.rows)) {
      if (!keep(p)) {
        delete this.rows[p];
        if (this.count !== undefined) this.count--;
        this.dirty = true;
      }
    }
  }

  /** Write the index: temp file → fsync → rename → fsync of the directory. No-op when nothing changed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    const entries = this.rows;
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
    await removeStaleTemps(dir, path.basename(this.file));
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    this.dirty = false;
  }
}

/** Temp files of a killed writer are never read; remove those older than this. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** Removes `<base>.tmp-*` files in `dir` older than STALE_TEMP_MS. */
export async function removeStaleTemps(dir: string, base: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`${base}.tmp-`)) continue;
    const p = path.join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (st !== undefined && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlink(p).catch(() => undefined);
  }
}
