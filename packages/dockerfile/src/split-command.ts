/**
 * The first split of a logical line, as BuildKit's splitCommand/extractBuilderFlags: keyword, `--flag`
 * words (quotes removed, `\` escapes applied — always backslash, whatever the escape directive), then the
 * rest. Offsets are kept so that every piece can be given a position.
 */
import { isGoSpace } from './chars.js';

/** One flag word with its offsets in the line. */
export interface RawFlag {
  text: string;
  start: number;
  end: number;
}

/** The pieces of one logical line. */
export interface SplitLine {
  keyword: string;
  keywordStart: number;
  flags: RawFlag[];
  /** The arguments after the flags, trimmed. */
  rest: string;
  /** Offset of `rest` in the line. */
  restStart: number;
}

/** Splits a logical line into keyword, flags and rest. */
export function splitCommand(line: string): SplitLine {
  let s = 0;
  while (s < line.length && isGoSpace(line[s]!)) s++;
  let te = line.length;
  while (te > s && isGoSpace(line[te - 1]!)) te--;
  let e = s;
  while (e < te && !isTokenSpace(line[e]!)) e++;
  const keyword = line.slice(s, e);
  if (e === te) return { keyword, keywordStart: s, flags: [], rest: '', restStart: te };
  let a = e;
  while (a < te && isTokenSpace(line[a]!)) a++;
  const { flags, restStart } = extractFlags(line.slice(0, te), a);
  let rs = restStart;
  let re = te;
  while (rs < re && isGoSpace(line[rs]!)) rs++;
  while (re > rs && isGoSpace(line[re - 1]!)) re--;
  return { keyword, keywordStart: s, flags, rest: line.slice(rs, re), restStart: rs };
}

/** BuildKit's tokenWhitespace class `[\t\v\f\r ]`. */
function isTokenSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\v' || ch === '\f' || ch === '\r';
}

function extractFlags(line: string, from: number): { flags: RawFlag[]; restStart: number } {
  const flags: RawFlag[] = [];
  let inWord = false;
  let quote = '';
  let word = '';
  let blankOK = false;
  let start = 0;
  for (let pos = from; pos <= line.length; pos++) {
    const atEnd = pos === line.length;
    const ch = atEnd ? '' : line[pos]!;
    if (!inWord && !quote) {
      if (atEnd) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { flags, restStart: pos };
      inWord = true;
      start = pos;
    }
    if (atEnd) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push({ text: word, start, end: pos });
      break;
    }
    if (quote) {
      if (ch === quote) {
        quote = '';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) {
          quote = '';
          continue;
        }
        c = line[++pos]!;
      }
      word += c;
      continue;
    }
    if (isGoSpace(ch)) {
      inWord = false;
      if (word === '--') return { flags, restStart: pos };
      if (blankOK || word.length > 0) flags.push({ text: word, start, end: pos });
      word = '';
      blankOK = false;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      blankOK = true;
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) continue;
      c = line[++pos]!;
    }
    word += c;
  }
  return { flags, restStart: line.length };
}
