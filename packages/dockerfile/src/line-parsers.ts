/**
 * Per-instruction argument parsing, as BuildKit's line_parsers.go: words with quotes kept, whitespace
 * lists, JSON (exec) form, `KEY=value` / legacy `KEY value`. Each result carries offsets into `rest`.
 */
import { isGoSpace } from './chars.js';

/** A piece of the arguments with its offsets in `rest`. */
export interface Piece {
  value: string;
  start: number;
  end: number;
}

/** Raised for argument errors; the caller adds the position. */
export class ArgError extends Error {}

/**
 * BuildKit's parseWords: splits on whitespace, keeping quotes and escapes in the words (they are removed
 * later by expansion). An escape at the very end is dropped.
 */
export function parseWords(rest: string, escape: string): Piece[] {
  const words: Piece[] = [];
  let phase = 0; // 0 spaces, 1 word, 2 quote
  let quote = '';
  let blankOK = false;
  let word = '';
  let start = 0;
  const n = rest.length;
  for (let pos = 0; pos <= n; pos++) {
    const ch = pos < n ? rest[pos]! : '';
    if (phase === 0) {
      if (pos === n) break;
      if (isGoSpace(ch)) continue;
      phase = 1;
      start = pos;
    }
    if (pos === n) {
      if (blankOK || word.length > 0) words.push({ value: word, start, end: pos });
      break;
    }
    if (phase === 1) {
      if (isGoSpace(ch)) {
        phase = 0;
        if (blankOK || word.length > 0) words.push({ value: word, start, end: pos });
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 2;
      }
      if (ch === escape) {
        if (pos + 1 === n) continue;
        word += ch;
        pos++;
        word += rest[pos]!;
        continue;
      }
      word += ch;
      continue;
    }
    // in quote
    if (ch === quote) phase = 1;
    if (ch === escape && quote !== "'") {
      if (pos + 1 === n) {
        phase = 1;
        continue;
      }
      word += ch;
      pos++;
      word += rest[pos]!;
      continue;
    }
    word += ch;
  }
  return words;
}

/** BuildKit's reWhitespace split: `[\t\v\f\r ]+` separates the words. */
export function splitWhitespace(rest: string): Piece[] {
  if (rest === '') return [];
  const out: Piece[] = [];
  const re = /[\t\v\f\r ]+/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest))) {
    out.push({ value: rest.slice(last, m.index), start: last, end: m.index });
    last = m.index + m[0].length;
  }
  out.push({ value: rest.slice(last), start: last, end: rest.length });
  return out;
}

/** Outcome of trying the JSON form. */
export type JsonResult = { ok: true; values: string[] } | { ok: false };

/**
 * BuildKit's parseJSON: the text (after leading space) must start with `[` and be a valid JSON array;
 * an array with a non-string element is an error, anything else invalid means "shell form".
 */
export function parseJson(rest: string): JsonResult {
  let i = 0;
  while (i < rest.length && isGoSpace(rest[i]!)) i++;
  if (rest[i] !== '[') return { ok: false };
  let v: unknown;
  try {
    v = JSON.parse(i === 0 ? rest : rest.slice(i));
  } catch {
    return { ok: false };
  }
  if (!Array.isArray(v)) return { ok: false };
  for (const x of v) {
    if (typeof x !== 'string') throw new ArgError('when using JSON array syntax, arrays must be comprised of strings only');
  }
  return { ok: true, values: v as string[] };
}

/** A `KEY=value` pair with offsets of the key and value. */
export interface PairPiece {
  key: Piece;
  value: Piece;
}

/**
 * BuildKit's parseNameVal (ENV, LABEL): new form when the first word has `=`, else legacy `KEY value` where
 * the value is the rest of the line as written.
 */
export function parseNameVal(rest: string, escape: string, keyword: string): { pairs: PairPiece[]; legacy: boolean } {
  const words = parseWords(rest, escape);
  if (words.length === 0) return { pairs: [], legacy: false };
  if (!words[0]!.value.includes('=')) {
    const m = /[\t\v\f\r ]+/.exec(rest);
    if (!m) throw new ArgError(`${keyword} must have two arguments`);
    const vs = m.index + m[0].length;
    return {
      pairs: [{ key: { value: rest.slice(0, m.index), start: 0, end: m.index }, value: { value: rest.slice(vs), start: vs, end: rest.length } }],
      legacy: true,
    };
  }
  const pairs: PairPiece[] = [];
  for (const w of words) {
    const eq = w.value.indexOf('=');
    if (eq < 0) throw new ArgError(`Syntax error - can't find = in ${JSON.stringify(w.value)}. Must be of the form: name=value`);
    pairs.push({
      key: { value: w.value.slice(0, eq), start: w.start, end: w.start + eq },
      value: { value: w.value.slice(eq + 1), start: w.start + eq + 1, end: w.end },
    });
  }
  return { pairs, legacy: false };
}
