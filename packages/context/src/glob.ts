import { IgnorePatternError } from './errors.js';

/**
 * Translation of Go filepath.Match syntax to JavaScript regular-expression source. Written here rather than
 * taken from a glob library because BuildKit's exact rules matter for cache keys and ignore files: `*` and `?`
 * never cross `/`, `[...]` classes take `^` for negation and `\` escapes, nothing else is special (no braces,
 * no extglobs, `**` is handled by the caller).
 */

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|\/]/g;

/** Escape one literal character (or string) for use in a regex outside a class. */
export function escapeRegex(s: string): string {
  return s.replace(REGEX_SPECIAL, (c) => '\\' + c);
}

function escapeClassChar(c: string): string {
  return c === '-' ? '\\-' : escapeRegex(c);
}

/**
 * Parse the class starting at `chars[i] === '['`; returns the regex source and the index after `]`.
 * Throws IgnorePatternError on an unterminated class or a bad range, as filepath.Match reports ErrBadPattern.
 */
export function translateClass(chars: string[], i: number, pattern: string, source: string): [string, number] {
  let j = i + 1;
  let negated = false;
  if (chars[j] === '^') {
    negated = true;
    j++;
  }
  const items: string[] = [];
  const bad = (why: string): never => {
    throw new IgnorePatternError(pattern, source, why);
  };
  // filepath.Match: an unescaped '-' or ']' cannot start a class item or end a range.
  const takeChar = (): string => {
    if (j >= chars.length) bad('unterminated [');
    let c = chars[j++]!;
    if (c === '-' || c === ']') bad(`unescaped ${c} in class`);
    if (c === '\\') {
      if (j >= chars.length) bad('trailing \\ in class');
      c = chars[j++]!;
    }
    return c;
  };
  for (;;) {
    if (j >= chars.length) bad('unterminated [');
    if (chars[j] === ']' && items.length > 0) {
      j++;
      break;
    }
    const lo = takeChar();
    let item = escapeClassChar(lo);
    if (chars[j] === '-') {
      j++;
      const hi = takeChar();
      if (hi.codePointAt(0)! < lo.codePointAt(0)!) bad(`bad range ${lo}-${hi}`);
      item += '-' + escapeClassChar(hi);
    }
    items.push(item);
  }
  return [`[${negated ? '^' : ''}${items.join('')}]`, j];
}

/**
 * Compile one path segment pattern (no `/` inside, `**` not special) into an anchored RegExp with
 * filepath.Match semantics, for COPY source wildcards.
 */
export function compileSegment(pattern: string, source = 'COPY source'): RegExp {
  const chars = Array.from(pattern);
  let re = '^';
  for (let i = 0; i < chars.length; ) {
    const c = chars[i]!;
    if (c === '*') {
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '[') {
      const [cls, next] = translateClass(chars, i, pattern, source);
      re += cls;
      i = next;
    } else if (c === '\\') {
      if (i + 1 >= chars.length) throw new IgnorePatternError(pattern, source, 'trailing \\');
      re += escapeRegex(chars[i + 1]!);
      i += 2;
    } else {
      re += escapeRegex(c);
      i++;
    }
  }
  return new RegExp(re + '$', 'u');
}

/** True when the string holds any filepath.Match meta character, i.e. it is a wildcard pattern. */
export function hasWildcard(s: string): boolean {
  return /[*?[\\]/.test(s);
}
