/** One WWW-Authenticate challenge: the scheme (lowercased) and its parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header (RFC 7235): `Bearer realm="...",service="...",scope="a b"`, possibly
 * several challenges in one header. Quoted strings may hold commas and backslash escapes.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => { while (i < s.length && /[\s,]/.test(s[i]!)) i++; };
  const token = () => { const m = /^[!#$%&'*+\-.^_`|~\w]+/.exec(s.slice(i)); if (!m) return ''; i += m[0].length; return m[0]; };
  let current: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    const name = token();
    if (!name) { i++; continue; }
    while (i < s.length && s[i] === ' ') i++;
    if (s[i] === '=') {
      i++;
      while (i < s.length && s[i] === ' ') i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else value = token();
      if (!current) { current = { scheme: '', params: {} }; out.push(current); }
      current.params[name.toLowerCase()] = value;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out.filter((c) => c.scheme);
}
