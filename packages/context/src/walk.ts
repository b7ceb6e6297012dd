import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { entryOf, typeOf, type Entry } from './entry.js';
import type { MatchInfo, PatternMatcher } from './pattern-matcher.js';

/**
 * Walk a context directory the way BuildKit's fsutil sends it: every path the ignore matcher does not exclude,
 * plus the parent directories of included paths even when those directories are themselves excluded
 * (`dir` + `!dir/keep`). Excluded directories are not entered unless an exception could re-include something
 * below them. Returns entries keyed by context-relative path, the root as ".".
 */
export async function walkContext(root: string, matcher: PatternMatcher): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const rootStat = await lstat(root, { bigint: true });
  const rootEntry = entryOf('.', 'dir', rootStat);
  out.set('.', rootEntry);
  rootEntry.children = await walkDir(root, '', matcher, undefined, out);
  return out;
}

/** Walk one directory; returns the names of its children that made it into the map. */
async function walkDir(
  root: string,
  rel: string,
  matcher: PatternMatcher,
  parentInfo: MatchInfo | undefined,
  out: Map<string, Entry>,
): Promise<string[]> {
  const names = (await readdir(path.join(root, rel))).sort();
  const stats = await Promise.all(
    names.map((name) => lstat(path.join(root, rel, name), { bigint: true }).catch(ignoreVanished)),
  );
  const kept: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const st = stats[i];
    if (st === undefined) continue;
    const type = typeOf(st);
    if (type === undefined) continue;
    const childRel = rel === '' ? names[i]! : `${rel}/${names[i]!}`;
    const { matched, info } = matcher.patterns.length === 0 ? { matched: false, info: [] } : matcher.matches(childRel, parentInfo ?? []);
    const entry = entryOf(childRel, type, st);
    if (type === 'symlink') entry.link = await readlink(path.join(root, childRel));
    if (type === 'dir') {
      if (matched && !matcher.mayReinclude(childRel)) continue;
      const children = await walkDir(root, childRel, matcher, info, out);
      // An excluded directory appears only as the parent of something re-included.
      if (matched && children.length === 0) continue;
      entry.children = children;
    } else if (matched) {
      continue;
    }
    out.set(childRel, entry);
    kept.push(names[i]!);
  }
  return kept;
}

function ignoreVanished(err: NodeJS.ErrnoException): undefined {
  // A file deleted between readdir and lstat is simply not part of the context.
  if (err.code === 'ENOENT') return undefined;
  throw err;
}
