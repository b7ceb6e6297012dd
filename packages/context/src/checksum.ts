import { createHash } from 'node:crypto';
import path from 'node:path';
import { cleanPath, splitPath } from './clean.js';
import { headerString, type BuildContext, type DropOptions, type FingerprintParts } from './context.js';
import type { Entry } from './entry.js';
import { ContextError, SourceNotFoundError } from './errors.js';
import { compileSegment, hasWildcard } from './glob.js';
import { hashStringSync } from './hash.js';
import { PatternMatcher, type MatchInfo } from './pattern-matcher.js';

/** Options of a COPY/ADD source checksum. */
export interface ChecksumOptions extends DropOptions {
  /** `COPY --exclude` patterns, matched relative to each source (patternmatcher rules). */
  excludes?: string[];
  /** A wildcard matching nothing is not an error (BuildKit's Dockerfile frontend allows it). Default true. */
  allowEmptyWildcard?: boolean;
}

/** The checksum of exactly the paths a COPY/ADD reads. */
export interface SourceChecksum {
  /** `sha256:<hex>` Merkle digest over every source, its matches and their trees. */
  digest: string;
  /**
   * Every path read (context-relative) → `<content>:<meta>` short hashes, so a cache miss can name the file
   * that changed and say whether its content or its metadata (mode, owner, xattrs) did.
   */
  files: Record<string, string>;
}

const MAX_LINKS = 40;
const URL_SOURCE = /^(https?|git):\/\//i;

/**
 * Merkle checksum of COPY sources: wildcards as Go filepath.Match per element, a directory means its whole
 * content (a digest over sorted children), symlinks in the source path followed inside the context, and
 * `--chmod`/`--chown` blanking the source mode/owner so they cannot cause a miss.
 */
export async function checksumSources(ctx: BuildContext, sources: string[], opts: ChecksumOptions = {}): Promise<SourceChecksum> {
  const excludes = opts.excludes !== undefined && opts.excludes.length > 0 ? new PatternMatcher(opts.excludes, '--exclude') : undefined;
  const plan: Array<{ source: string; roots: string[] }> = [];
  for (const source of sources) {
    if (URL_SOURCE.test(source)) throw new ContextError(`${source}: a URL is not a path of the build context (ADD fetches it)`);
    const rel = scoped(source);
    const wild = hasWildcard(rel);
    const matched = wild ? expandWildcard(ctx, rel) : [resolveLinks(ctx, rel, source)].filter(isString);
    if (matched.length === 0 && (!wild || opts.allowEmptyWildcard === false)) throw new SourceNotFoundError(source, ctx.label);
    const roots = matched.filter((m) => m === '.' || excludes?.matches(path.posix.basename(m), []).matched !== true);
    plan.push({ source: rel, roots });
  }
  // A directory source whose tree did not change since an earlier build takes that build's digest (the tree
  // memo); the rest is hashed (or found in the stat index) before the digests are put together.
  const treeKey = (root: string): string => `${root}\0${opts.dropMode === true ? 'm' : ''}${opts.dropOwner === true ? 'o' : ''}`;
  const remembered = new Map<string, string>();
  // Directory sources the memo may take after this checksum: each with the entries of its tree.
  const memoable = new Map<string, Map<string, Entry>>();
  const read = new Map<string, Entry>();
  for (const { roots } of plan) {
    for (const r of roots) {
      const entry = ctx.entries.get(r)!;
      const hit = excludes === undefined && entry.type === 'dir' ? ctx.rememberedTree(treeKey(r), entry) : undefined;
      if (hit !== undefined) {
        remembered.set(r, hit.digest);
      } else if (excludes === undefined && entry.type === 'dir') {
        const tree = new Map<string, Entry>();
        collect(ctx, r, '', undefined, undefined, tree);
        memoable.set(r, tree);
        for (const [p, e] of tree) read.set(p, e);
      } else {
        collect(ctx, r, '', excludes, undefined, read);
      }
    }
  }
  await ctx.ensure(read.values());
  const digests = new Map(remembered);
  const perSource = plan.map(({ source, roots }) => ({
    source,
    matches: roots.map((m) => {
      const d = digests.get(m) ?? treeDigest(ctx, m, read, opts);
      digests.set(m, d);
      return [m, d];
    }),
  }));
  for (const [r, tree] of memoable) ctx.rememberTree(treeKey(r), ctx.entries.get(r)!, tree.values(), digests.get(r)!);
  const digest = createHash('sha256').update(JSON.stringify(perSource)).digest('hex');
  // The per-file list only explains a miss (and is stored with one): a hit never reads it, so it is made on
  // first read — for a 10,000-file COPY that was a third of a cached build's checksum time. Remembered trees
  // are listed from the stat index then (a file it does not know shows as `?`).
  let files: Record<string, string> | undefined;
  const out = { digest: `sha256:${digest}` } as SourceChecksum;
  Object.defineProperty(out, 'files', {
    enumerable: true,
    get: () => {
      if (files !== undefined) return files;
      let all = read;
      if (remembered.size > 0) {
        all = new Map();
        for (const { roots } of plan) for (const r of roots) collect(ctx, r, '', remembered.has(r) ? undefined : excludes, undefined, all);
      }
      files = {};
      for (const e of all.values()) {
        const parts = read.has(e.path) ? ctx.partsSync(e) : ctx.knownPartsSync(e);
        files[e.path] = parts === undefined ? '?:?' : shortForm(parts, opts);
      }
      return files;
    },
  });
  return out;
}

/** Add `rel` and (for a directory) everything below it that --exclude keeps to `out`. */
function collect(
  ctx: BuildContext, rel: string, relInSource: string, excludes: PatternMatcher | undefined,
  parentInfo: MatchInfo | undefined, out: Map<string, Entry>,
): void {
  const entry = ctx.entries.get(rel)!;
  out.set(rel, entry);
  if (entry.type !== 'dir') return;
  for (const name of entry.children ?? []) {
    const childRel = rel === '.' ? name : `${rel}/${name}`;
    const inSource = relInSource === '' ? name : `${relInSource}/${name}`;
    let info: MatchInfo | undefined;
    if (excludes !== undefined) {
      const m = excludes.matches(inSource, parentInfo ?? []);
      const child = ctx.entries.get(childRel)!;
      if (m.matched && (child.type !== 'dir' || !excludes.mayReinclude(inSource))) continue;
      info = m.info;
    }
    collect(ctx, childRel, inSource, excludes, info, out);
  }
}

/**
 * The Merkle node of one path. A non-directory's node is its header text itself (which holds
 * the content hash), hashed as part of its directory: one sha256 per directory, not per file (10,000 of them
 * cost 25 ms on every build). Children go in length-prefixed, so no name or link target can forge another tree.
 */
function treeDigest(ctx: BuildContext, rel: string, read: Map<string, Entry>, opts: DropOptions): string {
  const entry = read.get(rel)!;
  const header = headerString(ctx.partsSync(entry), opts);
  if (entry.type !== 'dir') return header;
  const h = createHash('sha256').update(header);
  for (const name of entry.children ?? []) {
    const childRel = rel === '.' ? name : `${rel}/${name}`;
    if (!read.has(childRel)) continue;
    const node = treeDigest(ctx, childRel, read, opts);
    h.update(`\n${name.length}:${name}${node.length}:${node}`);
  }
  return h.digest('hex');
}

/**
 * `<content>:<meta>` for explanations: the content part is the file's content hash (the link target's for a
 * symlink), the meta part spells mode, owner and an xattr hash, with dropped fields shown as `-`.
 */
function shortForm(p: FingerprintParts, opts: DropOptions): string {
  const content = p.type === 'file' ? p.content.slice(0, 16)
    : p.type === 'symlink' ? `l${hashStringSync(p.link).slice(0, 15)}` : `${p.type}${p.rdev}`;
  const mode = opts.dropMode === true ? '-' : p.mode.toString(8);
  const owner = opts.dropOwner === true ? '-' : `${p.uid}.${p.gid}`;
  return `${content}:${mode}.${owner}${p.xattrs !== '' ? `.x${p.xattrs.slice(0, 8)}` : ''}`;
}

function isString(s: string | undefined): s is string {
  return s !== undefined;
}

/** A source path as BuildKit scopes it: relative to the context root, never above it. */
function scoped(source: string): string {
  const c = cleanPath('/' + source);
  return c === '/' ? '.' : c.slice(1);
}

/** Resolve symlinks along `rel` (the final one too) inside the context; undefined when missing. */
function resolveLinks(ctx: BuildContext, rel: string, source: string): string | undefined {
  let todo = splitPath(rel);
  let cur = '.';
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    const next = cur === '.' ? name : `${cur}/${name}`;
    const entry = ctx.entries.get(next);
    if (entry === undefined) return undefined;
    if (entry.type !== 'symlink') {
      cur = next;
      continue;
    }
    if (++hops > MAX_LINKS) throw new ContextError(`${source}: too many levels of symbolic links`);
    const target = entry.link ?? '';
    const base = target.startsWith('/') ? '/' : '/' + (cur === '.' ? '' : cur);
    todo = [...splitPath(cleanPath(path.posix.join(base, target)).slice(1)), ...todo];
    cur = '.';
  }
  return cur;
}

/** Expand a wildcard source element by element over the walked tree. */
function expandWildcard(ctx: BuildContext, rel: string): string[] {
  let dirs = ['.'];
  const segs = splitPath(rel);
  for (const seg of segs) {
    const next: string[] = [];
    for (const d of dirs) {
      const dir = ctx.entries.get(d);
      if (dir?.type !== 'dir') continue;
      const names = hasWildcard(seg) ? (dir.children ?? []).filter((n) => compileSegment(seg).test(n)) : [seg];
      for (const n of names) {
        const p = d === '.' ? n : `${d}/${n}`;
        const r = resolveLinks(ctx, p, rel);
        if (r !== undefined) next.push(r);
      }
    }
    dirs = next;
  }
  return [...new Set(dirs)].sort();
}

