import { cleanPath } from './clean.js';
import { IgnorePatternError } from './errors.js';
import { escapeRegex, translateClass } from './glob.js';

/**
 * moby/patternmatcher semantics, the rules BuildKit applies to .dockerignore and COPY --exclude:
 * patterns are cleaned like Go paths; `!` marks an exception; later patterns override earlier ones; `*` and `?`
 * stay inside one element; `**` matches any number of elements (also zero); a path is also matched when one
 * of its parent directories is.
 */

type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** One compiled pattern. */
export class Pattern {
  readonly kind: MatchKind;
  private readonly regexp?: RegExp;

  constructor(readonly cleaned: string, readonly exclusion: boolean, source: string) {
    const chars = Array.from(cleaned);
    let re = '^';
    let kind: MatchKind = 'exact';
    let iter = 0;
    for (let i = 0; i < chars.length; iter++) {
      const c = chars[i]!;
      if (c === '*' && chars[i + 1] === '*') {
        i += 2;
        if (chars[i] === '/') i++; // "**/" behaves as "**"
        if (i >= chars.length) {
          // "**" at the end accepts everything below, as .gitignore does
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '.*';
            kind = 'regexp';
          }
        } else {
          re += '(.*/)?';
          kind = 'regexp';
        }
        if (iter === 0) kind = 'suffix';
      } else if (c === '*') {
        re += '[^/]*';
        kind = 'regexp';
        i++;
      } else if (c === '?') {
        re += '[^/]';
        kind = 'regexp';
        i++;
      } else if (c === '[') {
        const [cls, next] = translateClass(chars, i, cleaned, source);
        re += cls;
        kind = 'regexp';
        i = next;
      } else if (c === '\\') {
        if (i + 1 >= chars.length) throw new IgnorePatternError(cleaned, source, 'trailing \\');
        re += escapeRegex(chars[i + 1]!);
        kind = 'regexp';
        i += 2;
      } else {
        re += escapeRegex(c);
        i++;
      }
    }
    this.kind = kind;
    if (kind === 'regexp') this.regexp = new RegExp(re + '$', 'u');
  }

  /** Whether this pattern alone matches the cleaned, slash-separated path. */
  match(path: string): boolean {
    switch (this.kind) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.regexp!.test(path);
    }
  }
}

/** Per-pattern results of a directory, handed to its children so they inherit a parent's match. */
export type MatchInfo = readonly boolean[];

/** An ordered list of patterns with exceptions. */
export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  readonly hasExclusions: boolean;

  /** Compile patterns; `source` names the file they came from in error messages. */
  constructor(patterns: readonly string[], source = '.dockerignore') {
    for (let p of patterns) {
      p = p.trim();
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new IgnorePatternError(p, source, 'illegal exclusion pattern "!"');
        exclusion = true;
        p = p.slice(1);
      }
      this.patterns.push(new Pattern(p, exclusion, source));
    }
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /**
   * Match a path given its parent's MatchInfo (undefined: check every parent directory explicitly, as
   * MatchesOrParentMatches does). Returns whether the path is excluded and the info for its children.
   */
  matches(path: string, parent?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const info: boolean[] = new Array(this.patterns.length).fill(false);
    let matched = false;
    const parentDirs = parent === undefined ? parentsOf(path) : [];
    this.patterns.forEach((pattern, i) => {
      let m = parent !== undefined && parent.length > 0 ? parent[i]! : false;
      if (!m) {
        // An inclusion cannot change an already matched path, nor an exception an unmatched one.
        if (pattern.exclusion !== matched) return;
        m = pattern.match(path);
        if (!m) m = parentDirs.some((d) => pattern.match(d));
      }
      info[i] = m;
      if (m) matched = !pattern.exclusion;
    });
    return { matched, info };
  }

  /** Whether the cleaned path is excluded, checking its parents too. */
  excludes(path: string): boolean {
    path = cleanPath(path);
    if (path === '.') return false; // the context root itself is never excluded
    return this.matches(path).matched;
  }

  /**
   * Whether an excluded directory may still hold re-included paths, so the walk must enter it (fsutil's
   * rule: only when some exception pattern is a wildcard or names a path below the directory).
   */
  mayReinclude(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const dirSlash = dir + '/';
    return this.patterns.some((p) => p.exclusion && (p.kind !== 'exact' || (p.cleaned + '/').startsWith(dirSlash)));
  }
}

function parentsOf(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}
