import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { ContextError } from './errors.js';
import path from 'node:path';
import type { Entry } from './entry.js';
import { SMALL_FILE, hashFile, hashSmallFileSync, hashStringSync, hasher } from './hash.js';
import { loadIgnoreFile, type IgnoreFile } from './ignore-file.js';
import { PatternMatcher } from './pattern-matcher.js';
import { StatIndex, removeStaleTemps, type IndexRecord } from './stat-index.js';
import { TreeMemo, type TreeDigest } from './tree-memo.js';
import { walkContext, type DirScanner } from './walk.js';

/** Reads a file's extended attributes (Node has none built in; the builder injects the native one). */
export type XattrReader = (absPath: string) => Promise<ReadonlyArray<readonly [string, Uint8Array]>>;

/** Xattrs that describe the host rather than the file (SELinux labels differ per machine). */
const HOST_XATTRS = /^security\.selinux$/;

/** Options of BuildContext.open. */
export interface OpenOptions {
  /** Where `contexts/<id>/index` lives; without it the index is kept in memory only. */
  stateRoot?: string;
  /** The Dockerfile path (absolute or relative to the context), to find `<Dockerfile>.dockerignore`. */
  dockerfilePath?: string;
  /** Ignore patterns to use instead of reading an ignore file. */
  ignorePatterns?: string[];
  /** Extended attribute reader; default: files have none. */
  readXattrs?: XattrReader;
  /** Directory lister with stats (the native one); default Node's readdir + lstat. */
  scanDir?: DirScanner;
  /** Files hashed at once. */
  concurrency?: number;
  /** Changes this close to the time of hashing are not trusted next time (tests set 0). */
  racyWindowNs?: bigint;
  /** How errors name the context (default its path): e.g. a scratch context unpacked from standard input. */
  label?: string;
}

/** The parts of a fingerprint: what the file holds and what describes it. */
export interface FingerprintParts {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: string;
  rdev: string;
  link: string;
  xattrs: string;
  content: string;
}

/** Counters: how many regular files were read and how many were answered from the stat index. */
export interface HashStats {
  hashed: number;
  reused: number;
}

/**
 * A build context: the walked tree (ignore rules applied), the stat index, and fingerprints computed lazily
 * so a build reads only the files its COPY/ADD sources name, and those only when their stat changed.
 */
export class BuildContext {
  /** Counters since open. */
  readonly stats: HashStats = { hashed: 0, reused: 0 };
  /** How errors name the context. */
  label: string;
  private readonly records = new Map<string, FingerprintParts>();
  /** Paths whose record was made in this build too close to their last change to be trusted later. */
  private readonly racy = new Set<string>();
  /** Loaded on first use (undefined: no state root; null: not loaded yet). */
  private loadedIndex: StatIndex | undefined | null;
  private loadedMemo: TreeMemo | undefined | null;

  private constructor(
    /** The context directory, resolved. */
    readonly dir: string,
    /** Stable id of the context (sha256 of its real path, shortened), naming its index directory. */
    readonly id: string,
    /** The ignore file in effect. */
    readonly ignore: IgnoreFile,
    /** Every path of the context after ignore rules, "." being the root. */
    readonly entries: ReadonlyMap<string, Entry>,
    /** `contexts/<id>` under the state root, where the stat index and the tree memo live. */
    private readonly stateDir: string | undefined,
    private readonly racyWindowNs: bigint | undefined,
    private readonly readXattrs: XattrReader | undefined,
    private readonly concurrency: number,
  ) {
    this.loadedIndex = stateDir === undefined ? undefined : null;
    this.loadedMemo = stateDir === undefined ? undefined : null;
    this.label = dir;
  }

  /** The stat index, read on first use; records of paths gone from the context are dropped then. */
  private get index(): StatIndex | undefined {
    if (this.loadedIndex === null) {
      this.loadedIndex = StatIndex.loadSync(path.join(this.stateDir!, 'index'), this.racyWindowNs);
      this.loadedIndex.retain((p) => this.entries.has(p));
    }
    return this.loadedIndex;
  }

  private get memo(): TreeMemo | undefined {
    if (this.loadedMemo === null) this.loadedMemo = TreeMemo.load(path.join(this.stateDir!, 'trees'));
    return this.loadedMemo;
  }

  /**
   * The digest remembered under `key` for the tree at `dir`, when nothing below it changed since (its stat
   * signature is the same); its files count as reused.
   */
  rememberedTree(key: string, dir: Entry): TreeDigest | undefined {
    if (dir.treeSig === undefined) return undefined;
    const hit = this.memo?.get(key, dir.treeSig);
    if (hit !== undefined) this.stats.reused += hit.files;
    return hit;
  }

  /**
   * Remember the digest of the tree at `dir` under `key`, if every entry of it (`entries`) has a record the
   * stat index will trust next time: otherwise a later edit could keep the stat signature.
   */
  rememberTree(key: string, dir: Entry, entries: Iterable<Entry>, digest: string): void {
    if (dir.treeSig === undefined || this.memo === undefined) return;
    let files = 0;
    for (const e of entries) {
      if (this.racy.has(e.path) || !this.records.has(e.path)) return;
      if (e.type === 'file') files++;
    }
    this.memo.set(key, dir.treeSig, { digest, files });
  }

  /**
   * Fingerprint parts of an entry when known without reading it (ensured, or trusted in the stat index); for
   * explanations only, so an unknown entry is undefined rather than read.
   */
  knownPartsSync(entry: Entry): FingerprintParts | undefined {
    const p = this.records.get(entry.path);
    if (p !== undefined) return p;
    const rec = this.index?.lookup(entry);
    if (rec === undefined) return undefined;
    const parts = partsOf(entry, rec);
    this.records.set(entry.path, parts);
    return parts;
  }

  /** Walk `dir` (stat only) and load its stat index. */
  static async open(dir: string, opts: OpenOptions = {}): Promise<BuildContext> {
    await hasher();
    const real = await realpath(dir).catch((err: NodeJS.ErrnoException) => {
      throw new ContextError(`build context ${dir}: ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
    });
    if (!(await stat(real)).isDirectory()) throw new ContextError(`build context ${dir}: not a directory`);
    const id = createHash('sha256').update(real).digest('hex').slice(0, 32);
    const ignore: IgnoreFile = opts.ignorePatterns !== undefined
      ? { patterns: opts.ignorePatterns }
      : await loadIgnoreFile(real, opts.dockerfilePath);
    const matcher = new PatternMatcher(ignore.patterns, ignore.file ?? '.dockerignore');
    const entries = await walkContext(real, matcher, opts.scanDir);
    const stateDir = opts.stateRoot === undefined ? undefined : path.join(opts.stateRoot, 'contexts', id);
    const ctx = new BuildContext(real, id, ignore, entries, stateDir, opts.racyWindowNs, opts.readXattrs, opts.concurrency ?? 4);
    if (opts.label !== undefined) ctx.label = opts.label;
    return ctx;
  }

  /**
   * Make sure the fingerprints of `entries` are known: from the stat index when all five stat fields match,
   * else by reading. Small files are read synchronously in batches (the thread pool costs more than the read),
   * large ones streamed a few at a time.
   */
  async ensure(entries: Iterable<Entry>): Promise<void> {
    const large: Entry[] = [];
    let sinceYield = 0;
    for (const entry of entries) {
      if (this.records.has(entry.path)) continue;
      const rec = this.index?.lookup(entry);
      if (rec !== undefined) {
        if (entry.type === 'file') this.stats.reused++;
        this.records.set(entry.path, partsOf(entry, rec));
        continue;
      }
      if (entry.type === 'file' && Number(entry.size) > SMALL_FILE) {
        large.push(entry);
        continue;
      }
      const hashedAt = nowNs();
      const content = entry.type === 'file' ? hashSmallFileSync(path.join(this.dir, entry.path)) : '';
      await this.store(entry, content, hashedAt);
      if (++sinceYield >= 512) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < large.length) {
        const entry = large[next++]!;
        const hashedAt = nowNs();
        await this.store(entry, await hashFile(path.join(this.dir, entry.path), Number(entry.size)), hashedAt);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, large.length) }, worker));
  }

  /** Fingerprint parts of an entry whose hashes `ensure` established. */
  partsSync(entry: Entry): FingerprintParts {
    const p = this.records.get(entry.path);
    if (p === undefined) throw new Error(`internal: ${entry.path} was not hashed`);
    return p;
  }

  /** Fingerprint parts of one entry, from the index when its stat is unchanged, else by reading it. */
  async parts(entry: Entry): Promise<FingerprintParts> {
    await this.ensure([entry]);
    return this.partsSync(entry);
  }

  /** 32 hex characters: the fingerprint of one entry (type, mode, owner, size, link, xattrs, content). */
  async fingerprint(rel: string): Promise<string> {
    const entry = this.entries.get(rel);
    if (entry === undefined) throw new Error(`${rel}: not in the build context`);
    return hashStringSync(headerString(await this.parts(entry), {}));
  }

  /** Persist the stat index and the tree memo (each temp → fsync → rename), when loaded and changed. */
  async save(): Promise<void> {
    if (this.loadedMemo) {
      // Trees are keyed `<path>\0<options>`: a path gone from the context drops its trees.
      this.loadedMemo.retain((k) => this.entries.has(k.slice(0, k.indexOf('\0'))));
      if (this.loadedMemo.save()) await removeStaleTemps(this.stateDir!, 'trees');
    }
    // After the memo: the index's save ends with an fsync of the directory both were renamed into.
    if (this.loadedIndex) await this.loadedIndex.save();
  }

  private async store(entry: Entry, content: string, hashedAt: bigint): Promise<void> {
    const rec: IndexRecord = { content, xattrs: await this.xattrHash(path.join(this.dir, entry.path)) };
    if (entry.type === 'file') this.stats.hashed++;
    if (this.index?.set(entry, rec, hashedAt) !== false) this.racy.add(entry.path);
    this.records.set(entry.path, partsOf(entry, rec));
  }

  private async xattrHash(abs: string): Promise<string> {
    if (this.readXattrs === undefined) return '';
    const list = (await this.readXattrs(abs)).filter(([name]) => !HOST_XATTRS.test(name));
    if (list.length === 0) return '';
    const sorted = [...list].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return hashStringSync(sorted.map(([n, v]) => `${n}=${Buffer.from(v).toString('base64')}`).join('\n'));
  }
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function partsOf(entry: Entry, rec: IndexRecord): FingerprintParts {
  return {
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    // A directory's size is a property of the host filesystem, not of what COPY produces.
    size: entry.type === 'dir' ? '' : String(entry.size),
    rdev: entry.type === 'char' || entry.type === 'block' ? String(entry.rdev) : '',
    link: entry.link ?? '',
    xattrs: rec.xattrs,
    content: rec.content,
  };
}

/** Which source metadata a COPY ignores because it overrides it. */
export interface DropOptions {
  /** `--chmod`: the source mode does not reach the image. */
  dropMode?: boolean;
  /** `--chown`: the source uid/gid do not reach the image. */
  dropOwner?: boolean;
}

/** Canonical text of fingerprint parts, with the dropped fields blanked. */
export function headerString(p: FingerprintParts, drop: DropOptions): string {
  return [
    'v1', p.type,
    drop.dropMode === true ? '-' : p.mode.toString(8),
    drop.dropOwner === true ? '-' : String(p.uid),
    drop.dropOwner === true ? '-' : String(p.gid),
    p.size, p.rdev, p.link, p.xattrs, p.content,
  ].join('\0');
}
