/**
 * Lexical path cleaning with Go's `path.Clean` rules (BuildKit and moby/patternmatcher clean every pattern and
 * path this way, so matching must see the same strings): collapse `//`, drop `.`, resolve `..` against the
 * preceding element, never climb above the root of an absolute path, "" becomes ".".
 */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}

/** Split a cleaned relative path into its elements ("." has none). */
export function splitPath(p: string): string[] {
  return p === '.' || p === '' ? [] : p.split('/');
}
