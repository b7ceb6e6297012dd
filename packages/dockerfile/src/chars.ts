/** Character classes as Go's unicode package defines them (BuildKit's parser is written against these). */

const GO_SPACE = new Set([
  '\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004',
  '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
]);

/** Go's unicode.IsSpace for one character (code point). */
export function isGoSpace(ch: string): boolean {
  return GO_SPACE.has(ch);
}

/** Go's strings.TrimLeftFunc(s, unicode.IsSpace). */
export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && GO_SPACE.has(s[i]!)) i++;
  return i === 0 ? s : s.slice(i);
}

/** Go's strings.TrimRightFunc(s, unicode.IsSpace). */
export function trimRightSpace(s: string): string {
  let i = s.length;
  while (i > 0 && GO_SPACE.has(s[i - 1]!)) i--;
  return i === s.length ? s : s.slice(0, i);
}

/** Go's strings.TrimSpace. */
export function trimSpace(s: string): string {
  return trimRightSpace(trimLeftSpace(s));
}

/** BuildKit's reWhitespace / tokenWhitespace: `[\t\v\f\r ]+`. */
export const RE_WHITESPACE = /[\t\v\f\r ]+/;

/** Index of the first character of `s` (from `from`) that is a Go space, or -1. */
export function indexOfSpace(s: string, from = 0): number {
  for (let i = from; i < s.length; i++) if (GO_SPACE.has(s[i]!)) return i;
  return -1;
}
