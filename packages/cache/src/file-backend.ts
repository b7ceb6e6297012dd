import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Descriptor, Digest } from '@strata/oci';
import { hexOf, type BlobPut, type CacheBackend } from './backend.js';
import { BUNDLE_NAME_RE } from './bundle.js';
import { eachLimit } from './pool.js';
import type { BundleRef } from './record.js';

/**
 * The few file operations the directory layout needs; a local directory and an SFTP server provide them.
 * `publish` must make a fully written temp file visible under its final name in one step and must not
 * replace an existing file unless `replace` (link(2) locally; SFTP's plain rename, which OpenSSH refuses
 * over an existing file).
 */
export interface FileOps {
  readonly label: string;
  read(rel: string): Promise<Buffer | undefined>;
  openRead(rel: string): Promise<Readable>;
  exists(rel: string): Promise<boolean>;
  list(relDir: string): Promise<string[]>;
  remove(rel: string): Promise<boolean>;
  /** Writes a temp file beside `rel` (data or a stream), then publishes it; false when `rel` existed. */
  write(rel: string, data: Buffer | (() => Promise<Readable>), replace: boolean): Promise<boolean>;
  /** Round trip that proves the location is usable (and writable when asked). */
  check(write: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * The cache layout inside a directory, shared by `type=local` and `type=sftp`:
 *   strata-cache.json         marks the directory as a strata cache (layout version)
 *   entries/<hex>.json        one immutable entry per key
 *   hits/<hex>                when the key was last hit (ISO 8601 text), replaced on each export
 *   blobs/sha256/<hex>        layer blobs and file-set documents, content-addressed
 *   pointers/<name>.json      replaceable pointers (a cache mount's latest file set)
 *   bundles/<name>.json.gz    one per export: the entries it wrote, together (a hint for importers)
 * `inlineMax`: over SFTP every file costs round trips, so small layers ride in their entries; in a local
 * directory they stay blob files (0).
 */
export class FileLayoutBackend implements CacheBackend {
  readonly label: string;
  constructor(private readonly fs: FileOps, readonly inlineMax = 0) {
    this.label = fs.label;
  }

  async check(write: boolean): Promise<void> {
    await this.fs.check(write);
    if (write && !(await this.fs.exists('strata-cache.json'))) {
      await this.fs.write('strata-cache.json', Buffer.from(JSON.stringify({ layout: 'strata-cache', v: 1 }) + '\n'), false);
    }
  }

  readEntry(key: string): Promise<Buffer | undefined> {
    return this.fs.read(`entries/${hexOf(key)}.json`);
  }

  /** `blobs` are not needed here: the entry names them and prune reads them from it. */
  /** The write itself refuses an existing name, so neither `blobs` nor a listing is needed. */
  writeEntry(key: string, bytes: Buffer, _blobs: Descriptor[] = []): Promise<boolean> {
    void _blobs;
    return this.fs.write(`entries/${hexOf(key)}.json`, bytes, false);
  }

  async writeBundle(name: string, bytes: Buffer): Promise<BundleRef> {
    await this.fs.write(`bundles/${name}.json.gz`, bytes, false);
    return { name, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest, size: bytes.length };
  }

  readBundle(ref: BundleRef | string): Promise<Buffer | undefined> {
    const name = typeof ref === 'string' ? ref : ref.name;
    return BUNDLE_NAME_RE.test(name) ? this.fs.read(`bundles/${name}.json.gz`) : Promise.resolve(undefined);
  }

  async listBundles(): Promise<string[]> {
    return (await this.fs.list('bundles')).filter((n) => n.endsWith('.json.gz') && BUNDLE_NAME_RE.test(n.slice(0, -8))).map((n) => n.slice(0, -8)).sort();
  }

  async deleteBundle(name: string): Promise<void> {
    if (BUNDLE_NAME_RE.test(name)) await this.fs.remove(`bundles/${name}.json.gz`);
  }

  async listEntries(): Promise<string[]> {
    const names = await this.fs.list('entries');
    return names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).map((n) => `sha256:${n.slice(0, 64)}`);
  }

  async deleteEntry(key: string): Promise<void> {
    await this.fs.remove(`entries/${hexOf(key)}.json`);
    await this.fs.remove(`hits/${hexOf(key)}`);
  }

  async markHits(keys: string[], when: Date): Promise<void> {
    await eachLimit(keys, 8, (key) => this.fs.write(`hits/${hexOf(key)}`, Buffer.from(when.toISOString()), true).then(() => {}));
  }

  async lastHits(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const names = (await this.fs.list('hits')).filter((n) => /^[a-f0-9]{64}$/.test(n));
    await eachLimit(names, 8, async (n) => {
      const b = await this.fs.read(`hits/${n}`);
      const t = b === undefined ? NaN : Date.parse(b.toString('utf8'));
      if (!Number.isNaN(t)) out.set(`sha256:${n}`, t);
    });
    return out;
  }

  /** Hit files go with their entries (deleteEntry); nothing else to do. */
  async pruneHits(): Promise<void> {}

  hasBlob(digest: Digest): Promise<boolean> {
    return this.fs.exists(`blobs/sha256/${hexOf(digest)}`);
  }

  readBlob(desc: Descriptor): Promise<Readable> {
    return this.fs.openRead(`blobs/sha256/${hexOf(desc.digest)}`);
  }

  async writeBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<BlobPut> {
    if (await this.hasBlob(desc.digest)) return 'exists';
    return (await this.fs.write(`blobs/sha256/${hexOf(desc.digest)}`, open, false)) ? 'uploaded' : 'exists';
  }

  deleteBlob(digest: Digest): Promise<boolean> {
    return this.fs.remove(`blobs/sha256/${hexOf(digest)}`);
  }

  readPointer(name: string): Promise<Buffer | undefined> {
    return this.fs.read(`pointers/${pointerFile(name)}`);
  }

  async writePointer(name: string, bytes: Buffer, _blobs: Descriptor[] = []): Promise<void> {
    void _blobs;
    await this.fs.write(`pointers/${pointerFile(name)}`, bytes, true);
  }

  close(): Promise<void> {
    return this.fs.close();
  }
}

/** Pointer names are free text (cache ids); files get a safe name derived from them. */
function pointerFile(name: string): string {
  return /^[A-Za-z0-9._-]{1,100}$/.test(name) && !name.startsWith('.') ? `${name}.json` : `${createHash('sha256').update(name).digest('hex')}.json`;
}
