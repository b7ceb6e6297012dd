import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createFileAtomic, fsyncDir } from './atomic-file.js';
import { errCode, SnapshotExistsError } from './errors.js';
import type { DriverName, SnapshotKind } from './types.js';

/** One snapshot's metadata: a small JSON file under snapshots/, written temp → fsync → link. */
export interface SnapshotRecord {
  version: 1;
  key: string;
  kind: SnapshotKind;
  parent?: string;
  id: string;
  /** Short link name under l/ pointing at the layer's diff dir. */
  short: string;
  driver: DriverName;
  created: string;
  /** Copy driver: ctime (ns, decimal) of the marker written after the tree was copied; see naive-differ.ts. */
  copiedAtNs?: string;
  /** Active snapshots and views: the process that made it, so cleanup can tell an abandoned one. */
  pid?: number;
}

/** Records keyed by snapshot key or name; one file each, so processes sharing a root never rewrite a shared file. */
export class MetaStore {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
  }

  /** The record of key, or undefined. An active record whose layer was already committed is a crash leftover. */
  async get(key: string): Promise<SnapshotRecord | undefined> {
    let rec: SnapshotRecord;
    try {
      // Sync: a record is a few hundred bytes, and every mount reads its whole parent chain.
      rec = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as SnapshotRecord;
    } catch (e) {
      if (errCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    return rec.key === key ? rec : undefined;
  }

  /** Creates the record; SnapshotExistsError when the key is taken, even by a racing process. */
  async create(rec: SnapshotRecord): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    if (!(await createFileAtomic(this.file(rec.key), JSON.stringify(rec)))) {
      throw new SnapshotExistsError(`snapshot ${JSON.stringify(rec.key)} already exists`);
    }
  }

  /**
   * Creates `rec` and removes the record of `oldKey` with one directory fsync for both. A crash in between
   * leaves both, which list() resolves (an active twin of a committed record is dropped).
   */
  async replace(rec: SnapshotRecord, oldKey: string): Promise<void> {
    if (!(await createFileAtomic(this.file(rec.key), JSON.stringify(rec), false))) {
      throw new SnapshotExistsError(`snapshot ${JSON.stringify(rec.key)} already exists`);
    }
    fs.rmSync(this.file(oldKey), { force: true });
    await fsyncDir(this.dir);
  }

  /** Removes the record of key (no error when absent). */
  async delete(key: string): Promise<void> {
    fs.rmSync(this.file(key), { force: true });
    await fsyncDir(this.dir).catch(() => undefined);
  }

  /** Every record; a crash between commit's two steps leaves an active twin of a committed record, dropped here. */
  async list(): Promise<SnapshotRecord[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw e;
    }
    const recs: SnapshotRecord[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      try {
        recs.push(JSON.parse(fs.readFileSync(path.join(this.dir, n), 'utf8')) as SnapshotRecord);
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw e;
      }
    }
    const committedIds = new Set(recs.filter((r) => r.kind === 'committed').map((r) => r.id));
    return recs.filter((r) => r.kind === 'committed' || !committedIds.has(r.id));
  }
}
