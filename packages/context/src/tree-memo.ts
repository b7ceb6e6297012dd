import { mkdirSync, openSync, readFileSync, renameSync, fsyncSync, closeSync, writeSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Checksums of whole source directories from earlier builds (`contexts/<id>/trees`), keyed by the walk's
 * stat signature of the directory's subtree (walk.ts: names, types, modes, owners, device numbers, link
 * targets and stat keys of everything below it). A COPY of an unchanged 10,000-file directory then needs no
 * index lookup, no record and no header per file: one comparison.
 *
 * A tree is remembered only when every file in it was trusted by the stat index (none racy), so an equal
 * signature means every file's stat is what it was when its content was known. Bumped with the Merkle
 * scheme of checksum.ts.
 */
export const TREE_MEMO_VERSION = 1;

/** [subtree signature, digest, number of regular files in it]. */
type Row = [string, string, number];

/** A remembered digest: what the tree's checksum was and how many files it covered. */
export interface TreeDigest {
  digest: string;
  files: number;
}

export class TreeMemo {
  private rows: Record<string, Row> = Object.create(null) as Record<string, Row>;
  private dirty = false;

  private constructor(readonly file: string) {}

  /** The memo at `file`; a missing, corrupt or other-version file is an empty memo. Small: read in one go. */
  static load(file: string): TreeMemo {
    const memo = new TreeMemo(file);
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; trees?: unknown };
      if (doc.version === TREE_MEMO_VERSION && typeof doc.trees === 'object' && doc.trees !== null) {
        memo.rows = Object.assign(Object.create(null) as Record<string, Row>, doc.trees);
      }
    } catch {
      // Missing or unreadable: every tree is checksummed file by file, as without a memo.
    }
    return memo;
  }

  /** The digest stored under `key` when it was made from a tree with signature `sig`. */
  get(key: string, sig: string): TreeDigest | undefined {
    const r = this.rows[key];
    if (!Array.isArray(r) || r.length !== 3 || r[0] !== sig || typeof r[1] !== 'string' || typeof r[2] !== 'number') return undefined;
    return { digest: r[1], files: r[2] };
  }

  set(key: string, sig: string, d: TreeDigest): void {
    const r = this.rows[key];
    if (r !== undefined && r[0] === sig && r[1] === d.digest) return;
    this.rows[key] = [sig, d.digest, d.files];
    this.dirty = true;
  }

  /** Forget trees whose root path is gone from the context. */
  retain(keep: (key: string) => boolean): void {
    for (const k of Object.keys(this.rows)) {
      if (!keep(k)) {
        delete this.rows[k];
        this.dirty = true;
      }
    }
  }

  /** Write the memo (temp → fsync → rename); no-op when unchanged. True when it wrote. */
  save(): boolean {
    if (!this.dirty) return false;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        const buf = Buffer.from(JSON.stringify({ version: TREE_MEMO_VERSION, trees: this.rows }));
        for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    this.dirty = false;
    return true;
  }
}
