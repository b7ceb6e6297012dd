import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { MODE_TYPE_BITS, entryOf, statKeyOf, type Entry, type EntryType } from './entry.js';
import { hashStringSync, hasher } from './hash.js';
import type { MatchInfo, PatternMatcher } from './pattern-matcher.js';

/**
 * Walk a context directory the way BuildKit's fsutil sends it: every path the ignore matcher does not exclude,
 * plus the parent directories of included paths even when those directories are themselves excluded
 * (`dir` + `!dir/keep`). Excluded directories are not entered unless an exception could re-include something
 * below them. Returns entries keyed by context-relative path, the root as ".".
 *
 * A directory's entries are listed with one call (not a thread-pool lstat per file, which cost several times
 * the calls themselves); with the scanner's `async` form every directory is listed first, several at once on
 * the thread pool, and the walk over the listings is synchronous.
 */
export async function walkContext(root: string, matcher: PatternMatcher, scan: DirScanner = nodeScanner): Promise<Map<string, Entry>> {
  const [, listed] = await Promise.all([hasher(), scan.async === undefined ? undefined : prefetchDirs(root, matcher, scan.async)]);
  const list = (rel: string): DirListing => listed?.get(rel) ?? scan(rel === '' ? root : path.join(root, rel));
  const out = new Map<string, Entry>();
  const rootEntry = entryOf('.', 'dir', lstatSync(root, { bigint: true }));
  out.set('.', rootEntry);
  const lines: string[] = [];
  rootEntry.children = walkDir(root, '', matcher, undefined, out, list, lines);
  rootEntry.treeSig = hashStringSync(`${statLine(rootEntry)}\n${lines.join('\n')}`);
  return out;
}

/**
 * What the stat signature of a tree holds of one entry: everything its Merkle node is made of, with the
 * stat key (dev, ino, size, mtime, ctime; ctime moves with any content, mode, owner or xattr change) standing
 * in for the content and the xattrs.
 */
function statLine(e: Entry): string {
  // st_rdev is 0 for all but devices: read (a BigInt made) only for those.
  const rdev = e.type === 'char' || e.type === 'block' ? e.rdev : 0;
  return `${e.type}\0${e.mode}\0${e.uid}\0${e.gid}\0${rdev}\0${statKeyOf(e)}\0${e.link ?? ''}`;
}

/** What a matcher without patterns says of every path. */
const NO_MATCH: { matched: boolean; info: MatchInfo } = { matched: false, info: [] };

/** Whether the ignore rules match `rel`, and the match info its children are matched with. */
function matchOf(matcher: PatternMatcher, rel: string, parentInfo: MatchInfo | undefined): { matched: boolean; info: MatchInfo } {
  return matcher.patterns.length === 0 ? NO_MATCH : matcher.matches(rel, parentInfo ?? []);
}

/**
 * Lists a directory with every entry's lstat in one call: `stats` holds DIR_STAT_FIELDS bigints per entry
 * (mode, uid, gid, size, dev, ino, rdev, mtimeNs, ctimeNs, nlink), and optionally each entry's stat key
 * (`dev:ino:size:mtimeNs:ctimeNs`), as native-overlay's lstatDir returns them.
 * The builder injects that one (this package imports no native code); Node's lstat is the fallback.
 */
export type DirScanner = ((absDir: string) => DirListing) & {
  /** The same listing off the main thread (native-overlay's lstatDirAsync): a walk then scans several directories at once. */
  async?: (absDir: string) => Promise<DirListing>;
};

/** One directory as a DirScanner lists it. */
export interface DirListing {
  names: string[];
  stats: BigInt64Array;
  keys?: string[];
}

/** How many directory scans a walk keeps in flight on the thread pool. */
const SCANS_IN_FLIGHT = 8;

/**
 * Lists every directory the walk will enter (walkDir's rule: an excluded one only when an exception may
 * re-include something below it), several at once off the main thread: the syscalls of a 10,000-file
 * context's scan then run on both cores. A directory whose listing failed is left out; walkDir lists it again
 * itself and reports the error as it would.
 */
function prefetchDirs(root: string, matcher: PatternMatcher, list: (absDir: string) => Promise<DirListing>): Promise<Map<string, DirListing>> {
  const got = new Map<string, DirListing>();
  const queue: Array<{ rel: string; info: MatchInfo | undefined }> = [{ rel: '', info: undefined }];
  let active = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      while (active < SCANS_IN_FLIGHT && queue.length > 0) {
        const { rel, info } = queue.pop()!;
        active++;
        list(rel === '' ? root : path.join(root, rel))
          .then((l) => {
            got.set(rel, l);
            queue.push(...subdirsEntered(l, rel, matcher, info));
          })
          .catch(() => undefined)
          .finally(() => {
            active--;
            pump();
          });
      }
      if (active === 0 && queue.length === 0) resolve(got);
    };
    pump();
  });
}

/** The subdirectories of a listed directory that walkDir enters, with their match info. */
function subdirsEntered(l: DirListing, rel: string, matcher: PatternMatcher, parentInfo: MatchInfo | undefined): Array<{ rel: string; info: MatchInfo }> {
  const words = new Uint32Array(l.stats.buffer, l.stats.byteOffset, l.stats.length * 2);
  const dirs: Array<{ rel: string; info: MatchInfo }> = [];
  l.names.forEach((name, i) => {
    if ((words[2 * i * FIELDS + LOW_WORD]! & 0o170000) !== 0o040000) return;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const { matched, info } = matchOf(matcher, childRel, parentInfo);
    if (!matched || matcher.mayReinclude(childRel)) dirs.push({ rel: childRel, info });
  });
  return dirs;
}

const FIELDS = 10;

/** Which 32-bit half of a 64-bit field holds its low bits: 0 on a little-endian machine, 1 on a big-endian one. */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** Entry type by the S_IFMT bits of st_mode shifted down 12 (undefined for a socket). */
const TYPE_OF_BITS: ReadonlyArray<EntryType | undefined> = (() => {
  const table: Array<EntryType | undefined> = new Array(16).fill(undefined);
  for (const [t, bits] of Object.entries(MODE_TYPE_BITS)) table[Number(bits) >> 12] = t as EntryType;
  return table;
})();

/** The fallback scanner: readdir + lstat per entry (slower: a Stats object and four Dates per file). */
const nodeScanner: DirScanner = (dir) => {
  const names: string[] = [];
  const rows: bigint[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatOrUndefined(path.join(dir, name));
    if (st === undefined) continue;
    names.push(name);
    rows.push(st.mode, st.uid, st.gid, st.size, st.dev, st.ino, st.rdev, st.mtimeNs, st.ctimeNs, st.nlink);
  }
  return { names, stats: BigInt64Array.from(rows) };
};

/**
 * An entry of a scanned directory. Its 64-bit stat fields stay in the scan's BigInt64Array until read: a
 * walk of 10,000 files made 70,000 BigInts, most never looked at (a cached build reads the stat key, which
 * the scanner already made, and the small fields).
 */
class ScannedEntry implements Entry {
  link?: string;
  children?: string[];
  statKey?: string;
  treeSig?: string;
  constructor(
    readonly path: string, readonly type: EntryType, readonly mode: number, readonly uid: number, readonly gid: number,
    private readonly stats: BigInt64Array, private readonly at: number,
  ) {}

  get size(): bigint { return this.stats[this.at + 3]!; }
  get dev(): bigint { return this.stats[this.at + 4]!; }
  get ino(): bigint { return this.stats[this.at + 5]!; }
  get rdev(): bigint { return this.stats[this.at + 6]!; }
  get mtimeNs(): bigint { return this.stats[this.at + 7]!; }
  get ctimeNs(): bigint { return this.stats[this.at + 8]!; }
  get nlink(): bigint { return this.stats[this.at + 9]!; }
}

/**
 * Walks one directory into `out` and returns the names kept, sorted; `lines` receives one stat line per kept
 * child (a directory's with its own subtree signature), from which the caller makes this directory's
 * `treeSig`.
 */
function walkDir(
  root: string, rel: string, matcher: PatternMatcher, parentInfo: MatchInfo | undefined, out: Map<string, Entry>, list: (rel: string) => DirListing,
  lines: string[],
): string[] {
  const { names, stats, keys } = list(rel);
  // Mode, uid and gid read as the low 32-bit words of their fields, without making BigInts.
  const words = new Uint32Array(stats.buffer, stats.byteOffset, stats.length * 2);
  const order = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const kept: string[] = [];
  for (const i of order) {
    const name = names[i]!;
    const f = i * FIELDS;
    const mode = words[2 * f + LOW_WORD]!;
    const type = TYPE_OF_BITS[(mode & 0o170000) >> 12];
    if (type === undefined) continue;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const { matched, info } = matchOf(matcher, childRel, parentInfo);
    const entry = new ScannedEntry(childRel, type, mode & 0o7777, words[2 * (f + 1) + LOW_WORD]!, words[2 * (f + 2) + LOW_WORD]!, stats, f);
    if (keys !== undefined) entry.statKey = keys[i]!;
    if (type === 'symlink') entry.link = readlinkSync(path.join(root, childRel));
    let sig = '';
    if (type === 'dir') {
      if (matched && !matcher.mayReinclude(childRel)) continue;
      const own: string[] = [];
      const children = walkDir(root, childRel, matcher, info, out, list, own);
      // An excluded directory appears only as the parent of something re-included.
      if (matched && children.length === 0) continue;
      entry.children = children;
      entry.treeSig = sig = hashStringSync(`${statLine(entry)}\n${own.join('\n')}`);
    } else if (matched) {
      continue;
    }
    out.set(childRel, entry);
    kept.push(name);
    lines.push(`${name.length}:${name}\0${statLine(entry)}\0${sig}`);
  }
  return kept;
}

function lstatOrUndefined(abs: string): BigIntStats | undefined {
  try {
    return lstatSync(abs, { bigint: true });
  } catch (err) {
    // A file deleted between readdir and lstat is simply not part of the context.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
