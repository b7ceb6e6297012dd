import Database from 'better-sqlite3';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
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

/**
 * Image names → manifest descriptors in `<root>/state.db` (SQLite, WAL), shared with the other users of the
 * state root. WAL plus a busy timeout lets several strata processes read and write at once.
 */
export class ImageIndex {
  private readonly db: Database.Database;
  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.db = new Database(path.join(root, 'state.db'), { timeout: 15000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS images (
      name TEXT PRIMARY KEY,
      digest TEXT NOT NULL,
      media_type TEXT NOT NULL,
      size INTEGER NOT NULL,
      updated INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS images_digest ON images(digest);`);
  }

  /** Points `name` at a manifest (replacing what it named before). */
  set(name: string, desc: Descriptor): void {
    this.db.prepare('INSERT INTO images(name, digest, media_type, size, updated) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT(name) DO UPDATE SET digest=excluded.digest, media_type=excluded.media_type, size=excluded.size, updated=excluded.updated')
      .run(name, desc.digest, desc.mediaType, desc.size, Date.now());
  }

  /** The record for a name, or undefined. */
  get(name: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT name, digest, media_type AS mediaType, size, updated FROM images WHERE name = ?').get(name);
    return r as ImageRecord | undefined;
  }

  /** Removes a name; true when it existed. */
  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM images WHERE name = ?').run(name).changes > 0;
  }

  /** Every name, sorted. */
  list(): ImageRecord[] {
    return this.db.prepare('SELECT name, digest, media_type AS mediaType, size, updated FROM images ORDER BY name').all() as ImageRecord[];
  }

  /** Names pointing at a manifest digest. */
  namesOf(digest: Digest): string[] {
    return (this.db.prepare('SELECT name FROM images WHERE digest = ? ORDER BY name').all(digest) as Array<{ name: string }>).map((r) => r.name);
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE), so a check-then-change is atomic across processes. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Closes the database handle (the store is unusable after). */
  close(): void {
    this.db.close();
  }
}
