import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Entry } from './entry.js';
import { hashFile, hashString } from './hash.js';
import { loadIgnoreFile, type IgnoreFile } from './ignore-file.js';
import { PatternMatcher } from './pattern-matcher.js';
import { StatIndex, type IndexRecord } from './stat-index.js';
import { walkContext } from './walk.js';

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
  /** Files hashed at once. */
  concurrency?: number;
  /** Changes this close to the time of hashing are not trusted next time (tests set 0). */
  racyWindowNs?: bigint;
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
  private readonly records = new Map<string, Promise<FingerprintParts>>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  private constructor(
    /** The context directory, resolved. */
    readonly dir: string,
    /** Stable id of the context (sha256 of its real path, shortened), naming its index directory. */
    readonly id: string,
    /** The ignore file in effect. */
    readonly ignore: IgnoreFile,
    /** Every path of the context after ignore rules, "." being the root. */
    readonly entries: ReadonlyMap<string, Entry>,
    private readonly index: StatIndex | undefined,
    private readonly readXattrs: XattrReader | undefined,
    private readonly concurrency: number,
  ) {}

  /** Walk `dir` (stat only) and load its stat index. */
  static async open(dir: string, opts: OpenOptions = {}): Promise<BuildContext> {
    const real = await realpath(dir);
    const id = createHash('sha256').update(real).digest('hex').slice(0, 32);
    const ignore: IgnoreFile = opts.ignorePatterns !== undefined
      ? { patterns: opts.ignorePatterns }
      : await loadIgnoreFile(real, opts.dockerfilePath);
    const matcher = new PatternMatcher(ignore.patterns, ignore.file ?? '.dockerignore');
    const entries = await walkContext(real, matcher);
    const index = opts.stateRoot === undefined
      ? undefined
      : await StatIndex.load(path.join(opts.stateRoot, 'contexts', id, 'index'), opts.racyWindowNs);
    index?.retain((p) => entries.has(p));
    return new BuildContext(real, id, ignore, entries, index, opts.readXattrs, opts.concurrency ?? 16);
  }

  /** Fingerprint parts of one entry, from the index when its stat is unchanged, else by reading it. */
  parts(entry: Entry): Promise<FingerprintParts> {
    let p = this.records.get(entry.path);
    if (p === undefined) {
      p = this.compute(entry);
      this.records.set(entry.path, p);
    }
    return p;
  }

  /** 32 hex characters: the fingerprint of one entry (type, mode, owner, size, link, xattrs, content). */
  async fingerprint(rel: string): Promise<string> {
    const entry = this.entries.get(rel);
    if (entry === undefined) throw new Error(`${rel}: not in the build context`);
    return hashString(headerString(await this.parts(entry), {}));
  }

  /** Persist the stat index (temp → fsync → rename). */
  async save(): Promise<void> {
    await this.index?.save();
  }

  private async compute(entry: Entry): Promise<FingerprintParts> {
    const abs = path.join(this.dir, entry.path);
    const link = entry.link ?? '';
    let rec: IndexRecord | undefined = this.index?.lookup(entry);
    if (rec !== undefined) {
      if (entry.type === 'file') this.stats.reused++;
    } else {
      await this.slot();
      try {
        const hashedAt = BigInt(Date.now()) * 1_000_000n;
        const content = entry.type === 'file' ? await hashFile(abs, Number(entry.size)) : '';
        rec = { content, xattrs: await this.xattrHash(abs) };
        if (entry.type === 'file') this.stats.hashed++;
        this.index?.set(entry, rec, hashedAt);
      } finally {
        this.release();
      }
    }
    return {
      type: entry.type,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      // A directory's size is a property of the host filesystem, not of what COPY produces.
      size: entry.type === 'dir' ? '' : String(entry.size),
      rdev: entry.type === 'char' || entry.type === 'block' ? String(entry.rdev) : '',
      link,
      xattrs: rec.xattrs,
      content: rec.content,
    };
  }

  private async xattrHash(abs: string): Promise<string> {
    if (this.readXattrs === undefined) return '';
    const list = (await this.readXattrs(abs)).filter(([name]) => !HOST_XATTRS.test(name));
    if (list.length === 0) return '';
    const sorted = [...list].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return hashString(sorted.map(([n, v]) => `${n}=${Buffer.from(v).toString('base64')}`).join('\n'));
  }

  private async slot(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
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
