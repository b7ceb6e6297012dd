/**
 * One logical line → InstructionNode (BuildKit's newNodeFromLine + dispatch table of line parsers), with
 * positions mapped back through the continuation lines.
 */
import { DockerfileError } from './errors.js';
import { ArgError, parseJson, parseNameVal, parseWords, splitWhitespace, type Piece } from './line-parsers.js';
import { splitCommand } from './split-command.js';
import type { Argument, Flag, InstructionNode, Position, Range } from './syntax.js';
import { isGoSpace, trimSpace } from './chars.js';

/** Keywords BuildKit knows. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER',
  'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
]);

/**
 * Maps offsets in a logical line to positions: `segs` holds triples (offset, line, column) for the start of
 * each physical piece that went into the line.
 */
export class LineMap {
  constructor(readonly segs: number[]) {}
  /** Position of an offset in the logical line. */
  at(off: number): Position {
    const s = this.segs;
    // Binary search over the segment starts: an instruction may span thousands of continuation lines.
    let lo = 0;
    let hi = s.length / 3 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid * 3]! <= off) lo = mid;
      else hi = mid - 1;
    }
    const i = lo * 3;
    return { line: s[i + 1]!, column: s[i + 2]! + (off - s[i]!) };
  }
  /** Range of [start, end) in the logical line. */
  range(start: number, end: number): Range {
    return { start: this.at(start), end: this.at(end) };
  }
}

/** Context for building one node. */
export interface BuildContext {
  escape: string;
  filename: string;
}

function did(word: string): string {
  const up = word.toUpperCase();
  let best = '';
  let bestD = 3;
  for (const k of KEYWORDS) {
    const d = distance(up, k);
    if (d < bestD) { bestD = d; best = k; }
  }
  return best ? ` (did you mean ${best.toLowerCase() === word ? best.toLowerCase() : best}?)` : '';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = t;
    }
  }
  return prev[b.length]!;
}

/** Builds the node for `line` (starting at `base` in it). Throws DockerfileError at the right position. */
export function buildNode(line: string, map: LineMap, ctx: BuildContext, base = 0): InstructionNode {
  const sc = splitCommand(base === 0 ? line : line.slice(base));
  const off = (o: number) => o + base;
  const err = (msg: string, o: number): never => {
    const p = map.at(off(o));
    throw new DockerfileError(msg, p.line, p.column, ctx.filename);
  };
  const keyword = sc.keyword.toUpperCase();
  if (!KEYWORDS.has(keyword)) err(`unknown instruction: ${sc.keyword}${did(sc.keyword)}`, sc.keywordStart);
  const flags: Flag[] = sc.flags.map((f) => {
    const t = f.text.startsWith('--') ? f.text.slice(2) : f.text;
    const eq = t.indexOf('=');
    return {
      name: eq < 0 ? t : t.slice(0, eq),
      value: eq < 0 ? null : t.slice(eq + 1),
      range: map.range(off(f.start), off(f.end)),
    };
  });
  const rest = sc.rest;
  const rs = sc.restStart;
  const arg = (p: Piece): Argument => ({ value: p.value, range: map.range(off(rs + p.start), off(rs + p.end)) });
  const whole = (values: string[]): Argument[] => {
    const r = map.range(off(rs), off(rs + rest.length));
    return values.map((value) => ({ value, range: r }));
  };
  let args: Argument[] = [];
  let json = false;
  let legacy = false;
  let inner: InstructionNode | undefined;
  try {
    switch (keyword) {
      case 'RUN': case 'CMD': case 'ENTRYPOINT': case 'SHELL': {
        if (rest === '') break;
        const j = parseJson(rest);
        if (j.ok) { json = true; args = whole(j.values); } else args = whole([rest]);
        break;
      }
      case 'ADD': case 'COPY': case 'VOLUME': {
        const j = parseJson(rest);
        if (j.ok) { json = true; args = whole(j.values); } else args = splitWhitespace(rest).map(arg);
        break;
      }
      case 'FROM': case 'EXPOSE':
        args = splitWhitespace(rest).map(arg);
        break;
      case 'ENV': case 'LABEL': {
        const r = parseNameVal(rest, ctx.escape, keyword);
        legacy = r.legacy;
        for (const p of r.pairs) args.push(arg(p.key), arg(p.value));
        break;
      }
      case 'ARG':
        args = parseWords(rest, ctx.escape).map(arg);
        break;
      case 'HEALTHCHECK': {
        let sep = 0;
        while (sep < rest.length && !isGoSpace(rest[sep]!)) sep++;
        if (sep === 0) break;
        let nx = sep;
        while (nx < rest.length && isGoSpace(rest[nx]!)) nx++;
        args.push(arg({ value: rest.slice(0, sep), start: 0, end: sep }));
        const cmd = rest.slice(nx);
        if (cmd !== '') {
          const j = parseJson(cmd);
          const r = map.range(off(rs + nx), off(rs + rest.length));
          if (j.ok) { json = true; for (const v of j.values) args.push({ value: v, range: r }); } else args.push({ value: cmd, range: r });
        }
        break;
      }
      case 'ONBUILD':
        if (rest === '') break;
        if (base > 0) err('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', sc.keywordStart);
        inner = buildNode(line, map, ctx, off(rs));
        args = whole([rest]);
        break;
      default: // MAINTAINER, STOPSIGNAL, USER, WORKDIR
        if (rest !== '') args = whole([rest]);
    }
  } catch (e) {
    if (e instanceof ArgError) err(e.message, rs);
    throw e;
  }
  const start = map.at(off(sc.keywordStart));
  const node: InstructionNode = {
    keyword,
    keywordAsWritten: sc.keyword,
    flags,
    args,
    argsText: rest,
    json,
    legacyKeyValue: legacy,
    heredocs: [],
    original: trimSpace(line.slice(base)),
    source: '',
    range: { start, end: map.at(off(line.length - base)) },
  };
  if (inner) node.inner = inner;
  return node;
}
