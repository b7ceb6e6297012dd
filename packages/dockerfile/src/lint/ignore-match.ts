/**
 * A small .dockerignore matcher for the CopyIgnoredFile check only (patterns are given as text; this package
 * does no I/O). Same rules as moby/patternmatcher: cleaned paths, `*` `?` `[…]` within one segment, `**` across
 * segments, `!` exceptions, last match wins, a pattern matching a parent directory matches the children.
 */

interface Pattern {
  re: RegExp;
  exclusion: boolean;
}

function clean(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

function toRegex(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/** Compiles .dockerignore lines into a predicate over context-relative paths. */
export function ignoreMatcher(lines: readonly string[]): (path: string) => boolean {
  const patterns: Pattern[] = [];
  for (const raw of lines) {
    let p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    p = clean(p);
    if (p === '') continue;
    try {
      patterns.push({ re: toRegex(p), exclusion });
    } catch {
      // An invalid bracket expression matches nothing, as in patternmatcher (which reports it at build).
    }
  }
  return (path: string) => {
    const p = clean(path);
    const parts = p.split('/');
    let matched = false;
    for (const pat of patterns) {
      let m = pat.re.test(p);
      for (let i = 1; !m && i < parts.length; i++) m = pat.re.test(parts.slice(0, i).join('/'));
      if (m) matched = !pat.exclusion;
    }
    return matched;
  };
}
