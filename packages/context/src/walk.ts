import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { entryOf, typeOf, type Entry } from './entry.js';
import type { MatchInfo, PatternMatcher } from './pattern-matcher.js';

/**
 * Walk a context directory the way BuildKit's fsutil sends it: every path the ignore matcher does not exclude,
 * plus the parent directories of included paths even when those directories are themselves excluded
 * (`dir` + `!dir/keep`). Excluded directories are not entered unless an exception could re-include something
 * below them. Returns entries keyed by context-relative path, the root as ".".
 *
 * Synchronous on purpose: ten thousand lstat calls through the thread pool cost several times more than
 * the calls themselves, and a walk is a short burst at the start of a build.
 */
export async function walkContext(root: string, matcher: PatternMatcher): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const rootEntry = entryOf('.', 'dir', lstatSync(root, { bigint: true }));
  out.set('.', rootEntry);
  rootEntry.children = walkDir(root, '', matcher, undefined, out);
  return out;
}

function walkDir(root: string, rel: string, matcher: PatternMatcher, parentInfo: MatchInfo | undefined, out: Map<string, Entry>): string[] {
  const names = readdirSync(path.join(root, rel)).sort();
  const kept: string[] = [];
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = path.join(root, childRel);
    const st = lstatOrUndefined(abs);
    if (st === undefined) continue;
    const type = typeOf(st);
    if (type === undefined) continue;
    const { matched, info } = matcher.patterns.length === 0 ? { matched: false, info: [] } : matcher.matches(childRel, parentInfo ?? []);
    const entry = entryOf(childRel, type, st);
    if (type === 'symlink') entry.link = readlinkSync(abs);
    if (type === 'dir') {
      if (matched && !matcher.mayReinclude(childRel)) continue;
      const children = walkDir(root, childRel, matcher, info, out);
      // An excluded directory appears only as the parent of something re-included.
      if (matched && children.length === 0) continue;
      entry.children = children;
    } else if (matched) {
      continue;
    }
    out.set(childRel, entry);
    kept.push(name);
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
