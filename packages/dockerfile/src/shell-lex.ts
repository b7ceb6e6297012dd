/**
 * BuildKit's shell-word lexer (frontend/dockerfile/shell): quotes, escapes and `$var` / `${var…}` expansion,
 * producing both the joined result and the whitespace-split words. Written here because dockerfile-ast gets
 * `${X:+w}`, `${UNDEF:-w}` and quoting wrong; the rules below follow BuildKit's lexer step for step.
 */
import { DockerfileError } from './errors.js';
import { isGoSpace } from './chars.js';

/** Variables visible to an expansion. */
export type Env = Record<string, string> | ReadonlyMap<string, string>;

/** Options of the lexer (the last four mirror BuildKit's Lex switches, used by the heredoc detector). */
export interface LexOptions {
  /** The Dockerfile escape character; default `\`. */
  escape?: string;
  /** Keep quote characters in the output. */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
  /** Where the word came from, for error messages. */
  line?: number;
  column?: number;
  filename?: string;
}

/** Result of one expansion: joined string, split words, and which variables were found / missing. */
export interface ExpandResult {
  result: string;
  words: string[];
  matched: Set<string>;
  unmatched: Set<string>;
}

class LexError extends Error {}

class Words {
  word = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (isGoSpace(ch)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }
  addRaw(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  get(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

const EOF = '';
const MAX_DEPTH = 1000;

class Lexer {
  private chars: string[];
  private pos = 0;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private rawEscapes: boolean;
  private depth = 0;

  constructor(word: string, private env: Env, private esc: string, private o: LexOptions) {
    this.chars = Array.from(word);
    this.rawEscapes = !!o.rawEscapes;
  }

  private peek(): string { return this.pos < this.chars.length ? this.chars[this.pos]! : EOF; }
  private next(): string { return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF; }

  private getEnv(name: string): string | undefined {
    const v = this.env instanceof Map ? this.env.get(name) : Object.prototype.hasOwnProperty.call(this.env, name)
      ? (this.env as Record<string, string>)[name] : undefined;
    if (v === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return v;
  }

  processStopOn(stop: string, rawEscapes: boolean): [string, string[]] {
    let result = '';
    const words = new Words();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return [result, words.get()];
        }
        if (ch === '$') {
          const tmp = this.processDollar();
          result += tmp;
          words.addString(tmp);
        } else if (ch === "'" || ch === '"') {
          const tmp = ch === "'" ? this.singleQuote() : this.doubleQuote();
          result += tmp;
          words.addRaw(tmp);
        } else {
          let c = this.next();
          if (c === this.esc) {
            if (this.rawEscapes) {
              words.addRaw(c);
              result += c;
            }
            c = this.next();
            if (c === EOF) break;
            words.addRaw(c);
          } else words.addChar(c);
          result += c;
        }
      }
      if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      return [result, words.get()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  private singleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.o.rawQuotes) result += ch;
    for (;;) {
      ch = this.next();
      if (ch === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.o.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private doubleQuote(): string {
    let result = '';
    const open = this.next();
    if (this.o.rawQuotes) result += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.next();
        if (this.o.rawQuotes) result += p;
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.esc) {
        if (this.rawEscapes) result += ch;
        const q = this.peek();
        if (q === EOF) continue;
        if (q === '"' || q === '$' || q === this.esc) ch = this.next();
      }
      result += ch;
    }
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && /^\p{Nd}$/u.test(ch)) {
        while (this.peek() !== EOF && /^\p{Nd}$/u.test(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && '@*#?-$!0'.includes(ch)) return this.next();
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    // Nested ${…} recurse; bound the depth so a hostile word is an error, not a stack overflow.
    if (++this.depth > MAX_DEPTH) throw new LexError('syntax error: substitutions nested too deeply');
    try {
      return this.dollar();
    } finally {
      this.depth--;
    }
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const v = this.getEnv(name);
      if (v === undefined && this.o.skipUnsetEnv) return '$' + name;
      return v ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let chs = ch;
    let nullIsUnset = false;
    if (ch === '}') {
      const v = this.getEnv(name);
      if (v === undefined && this.o.skipUnsetEnv) return '${' + name + '}';
      return v ?? '';
    }
    if (ch === EOF) throw new LexError("syntax error: missing '}'");
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch;
    }
    if (nullIsUnset || '+-?#%'.includes(ch)) {
      let word: string;
      try {
        word = this.processStopOn('}', ch === '#' || ch === '%')[0];
      } catch (e) {
        if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
        throw e;
      }
      const value = this.getEnv(name);
      if (this.o.skipUnsetEnv && value === undefined) return '${' + name + chs + word + '}';
      const unsetOrNull = value === undefined || (nullIsUnset && value === '');
      switch (ch) {
        case '-': return unsetOrNull ? word : value!;
        case '+': return unsetOrNull ? '' : word;
        case '?':
          if (value === undefined) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
          if (nullIsUnset && value === '') throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`);
          return value;
        case '%': case '#': {
          let greedy = false;
          if (word.length > 0 && word[0] === ch) {
            greedy = true;
            word = word.slice(1);
          }
          return ch === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
        }
        default: throw new LexError(`unsupported modifier (${chs}) in substitution`);
      }
    }
    if (ch === '/') {
      const all = this.peek() === '/';
      if (all) this.next();
      let pattern: string;
      let replacement: string;
      try {
        pattern = this.processStopOn('/', true)[0];
      } catch (e) {
        if (this.peek() === EOF) throw new LexError("syntax error: missing '/' in ${}");
        throw e;
      }
      try {
        replacement = this.processStopOn('}', true)[0];
      } catch (e) {
        if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
        throw e;
      }
      const value = this.getEnv(name);
      if (this.o.skipUnsetEnv && value === undefined) return '${' + name + '/' + pattern + '/' + replacement + '}';
      const re = patternToRegex(pattern, true, false, all);
      return (value ?? '').replace(re, () => replacement);
    }
    throw new LexError(`unsupported modifier (${chs}) in substitution`);
  }
}

/** Shell pattern (`*`, `?`, `\x`) → RegExp, as BuildKit's convertShellPatternToRegex. */
function patternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const cs = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? '[^\\n]*' : '[^\\n]*?';
  for (let i = 0; i < cs.length; i++) {
    let tok = cs[i]!;
    if (tok === '*') { out += star; continue; }
    if (tok === '?') { out += '[^\\n]'; continue; }
    if (tok === '\\') {
      const nx = cs[i + 1];
      if (nx === '}' || nx === '/') continue;
      i++;
      tok = cs[i] ?? '';
      if (tok !== '*' && tok !== '?' && tok !== '\\') {
        throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${tok}'`);
      }
      out += '\\' + tok;
      continue;
    }
    out += /[[\]{}.+()|^$]/.test(tok) ? '\\' + tok : tok;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverses a pattern keeping `\x` escapes in order (a\*c → c\*a), as BuildKit does for `%`. */
function reversePattern(pattern: string): string {
  const cs = Array.from(pattern);
  const out: string[] = [];
  for (let i = 0; i < cs.length;) {
    if (cs[i] === '\\' && i !== cs.length - 1) {
      out.unshift(cs[i]!, cs[i + 1]!);
      i += 2;
    } else out.unshift(cs[i++]!);
  }
  return out.join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const rev = (s: string) => Array.from(s).reverse().join('');
  return rev(trimPrefix(reversePattern(pattern), rev(value), greedy));
}

function fail(word: string, e: unknown, o: LexOptions): never {
  if (e instanceof LexError) {
    throw new DockerfileError(`failed to process ${JSON.stringify(word)}: ${e.message}`, o.line ?? 0, o.column ?? 0,
      o.filename);
  }
  if (e instanceof SyntaxError) {
    throw new DockerfileError(`failed to process ${JSON.stringify(word)}: invalid pattern`, o.line ?? 0, o.column ?? 0,
      o.filename);
  }
  throw e;
}

/** Expands `word` fully, reporting which variables were used and which were missing. */
export function expandWithMatches(word: string, env: Env, options: LexOptions = {}): ExpandResult {
  const lx = new Lexer(word, env, options.escape ?? '\\', options);
  try {
    const [result, words] = lx.processStopOn(EOF, !!options.rawEscapes);
    return { result, words, matched: lx.matched, unmatched: lx.unmatched };
  } catch (e) {
    fail(word, e, options);
  }
}

/** The expanded string of one word (quotes removed, variables substituted), as BuildKit's ProcessWord. */
export function expand(word: string, env: Env, options: LexOptions = {}): string {
  return expandWithMatches(word, env, options).result;
}

/** The list of fields `word` expands to (split on unquoted whitespace after substitution), as ProcessWords. */
export function expandWords(word: string, env: Env, options: LexOptions = {}): string[] {
  return expandWithMatches(word, env, options).words;
}
