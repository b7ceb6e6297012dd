/**
 * Heredoc detection as BuildKit does it: split the whole instruction line into shell words keeping quotes
 * and escapes; every word of the form `[n]<<[-]WORD` opens a heredoc, read in order after the line.
 */
import { expandWithMatches } from './shell-lex.js';

/** A heredoc opener found on an instruction line. */
export interface HeredocOpener {
  name: string;
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number;
}

const RE_HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const EMPTY = new Map<string, string>();

/** Parses one word as a heredoc opener (`<<EOF`, `<<-"EOF"`, `3<<EOF`), or null. */
export function parseHeredocWord(word: string): HeredocOpener | null {
  const m = RE_HEREDOC.exec(word);
  if (!m) return null;
  const rest = m[3]!;
  if (rest.length === 0) return null;
  let words: string[];
  let raw: string[];
  try {
    words = expandWithMatches(rest, EMPTY, { skipUnsetEnv: true }).words;
    if (words.length !== 1) return null;
    raw = expandWithMatches(rest, EMPTY, { skipUnsetEnv: true, rawQuotes: true }).words;
  } catch {
    return null;
  }
  if (raw.length !== words.length) return null;
  const count = (s: string) => s.split("'").length + s.split('"').length - 2;
  const word0 = words[0]!;
  return {
    name: word0,
    expand: count(word0) === count(raw[0]!),
    chomp: m[2] === '-',
    fileDescriptor: m[1] ? Number.parseInt(m[1], 10) : 0,
  };
}

/** All heredoc openers of an instruction line, in order. */
export function heredocsFromLine(line: string): HeredocOpener[] {
  let words: string[];
  try {
    words = expandWithMatches(line, EMPTY, { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).words;
  } catch {
    return [];
  }
  const out: HeredocOpener[] = [];
  for (const w of words) {
    if (!w.includes('<<')) continue;
    const h = parseHeredocWord(w);
    if (h) out.push(h);
  }
  return out;
}

/** Removes leading tabs from every line (`<<-`), as BuildKit's ChompHeredocContent. */
export function chompHeredocContent(s: string): string {
  return s.replace(/(^|\n)\t+/g, '$1');
}
