/**
 * `parse`: Dockerfile text → syntax tree, following BuildKit's parser.Parse line by line: BOM, directives,
 * comments, continuation lines (comment and empty lines inside them skipped), heredoc bodies, positions.
 * dockerfile-ast is not used here: it loses JSON-form arguments, reports no errors and lets an unterminated
 * heredoc swallow the file; re-parsing its output would also double the cost.
 */
import { DirectiveScanner } from './directives.js';
import { DockerfileError } from './errors.js';
import { heredocsFromLine } from './heredoc.js';
import { buildNode, LineMap } from './node-builder.js';
import type { Comment, Directive, DockerfileTree, InstructionNode, ParseOptions, ParseWarning } from './syntax.js';
import { isGoSpace } from './chars.js';

/** Physical lines: each line's text without its ending, and where each line starts in the input. */
interface PhysLines {
  texts: string[];
  /** starts[i] is the offset of line i; starts[texts.length] is the input length. */
  starts: number[];
}

function splitLines(text: string): PhysLines {
  const texts: string[] = [];
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    let j = text.indexOf('\n', i);
    j = j < 0 ? text.length : j + 1;
    let e = j;
    while (e > i && (text[e - 1] === '\n' || text[e - 1] === '\r')) e--;
    starts.push(i);
    texts.push(text.slice(i, e));
    i = j;
  }
  starts.push(text.length);
  return { texts, starts };
}

function leadingSpace(s: string): number {
  let i = 0;
  while (i < s.length && isGoSpace(s[i]!)) i++;
  return i;
}

function isComment(s: string): boolean {
  const i = leadingSpace(s);
  return i < s.length && s[i] === '#';
}

/** Removes a trailing escape (plus spaces/tabs after it) unless it is itself escaped. */
function trimContinuation(s: string, esc: string): [string, boolean] {
  let j = s.length - 1;
  while (j >= 0 && (s[j] === ' ' || s[j] === '\t')) j--;
  if (j < 0 || s[j] !== esc) return [s, true];
  if (j > 0 && s[j - 1] === esc) return [s, true];
  return [s.slice(0, j), false];
}

const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

function canContainHeredoc(node: InstructionNode): boolean {
  const n = node.keyword === 'ONBUILD' && node.inner ? node.inner : node;
  return HEREDOC_KEYWORDS.has(n.keyword) && !n.json;
}

/** Parses Dockerfile text into a syntax tree; throws DockerfileError (`FILE:LINE:COL: what`) on bad input. */
export function parse(input: string | Uint8Array, options: ParseOptions = {}): DockerfileTree {
  const filename = options.filename ?? 'Dockerfile';
  // Bytes are decoded as BuildKit reads them: UTF-8, invalid sequences becoming U+FFFD.
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const { texts: lines, starts } = splitLines(body);
  const ds = new DirectiveScanner();
  const directives: Directive[] = [];
  const comments: Comment[] = [];
  const warnings: ParseWarning[] = [];
  const instructions: InstructionNode[] = [];
  let escape: '\\' | '`' = '\\';
  let i = 0;
  const fail = (msg: string, line: number, col = 1): never => {
    throw new DockerfileError(msg, line, col, filename);
  };
  const lineRange = (n: number) => ({ start: { line: n, column: 1 }, end: { line: n, column: lines[n - 1]!.length + 1 } });

  while (i < lines.length) {
    const lineNo = i + 1;
    const phys = lines[i++]!;
    const lead = leadingSpace(phys);
    let tok = lead ? phys.slice(lead) : phys;
    let d: { name: string; value: string } | null = null;
    try {
      d = ds.scan(tok);
    } catch (e) {
      fail((e as Error).message, lineNo, lead + 1);
    }
    if (d) {
      if (d.name === 'escape') {
        if (d.value !== '\\' && d.value !== '`') fail(`invalid escape token '${d.value}' does not match \` or \\`, lineNo, lead + 1);
        escape = d.value as '\\' | '`';
      }
      directives.push({ name: d.name, value: d.value, range: lineRange(lineNo) });
    } else if (tok.startsWith('#')) {
      comments.push({ text: tok, range: lineRange(lineNo) });
    }
    if (tok.startsWith('#')) tok = '';
    let eol: boolean;
    [tok, eol] = trimContinuation(tok, escape);
    if (eol && tok === '') continue;

    let buf = tok;
    const segs = [0, lineNo, lead + 1];
    let hasEmpty = false;
    let last = lineNo;
    while (!eol && i < lines.length) {
      const p = lines[i++]!;
      last = i;
      if (isComment(p)) {
        comments.push({ text: p.slice(leadingSpace(p)), range: lineRange(last) });
        continue;
      }
      if (leadingSpace(p) === p.length) {
        hasEmpty = true;
        continue;
      }
      let t: string;
      [t, eol] = trimContinuation(p, escape);
      segs.push(buf.length, last, 1);
      buf += t;
    }
    const map = new LineMap(segs);
    const node = buildNode(buf, map, { escape, filename });
    if (hasEmpty) {
      warnings.push({ message: `Empty continuation line found in: ${buf}`, range: { start: node.range.start, end: { line: last, column: 1 } } });
    }
    if (canContainHeredoc(node) && buf.includes('<<')) {
      for (const h of heredocsFromLine(buf)) {
        let content = '';
        let done = false;
        const bodyStart = i + 1;
        while (i < lines.length) {
          const p = lines[i]!;
          const term = h.chomp ? p.replace(/^\t+/, '') : p;
          i++;
          if (term === h.name) {
            done = true;
            break;
          }
          content += body.slice(starts[i - 1], starts[i]);
        }
        last = i;
        if (!done) fail(`unterminated heredoc ${h.name}`, lineNo, node.range.start.column);
        node.heredocs.push({
          name: h.name, content, expand: h.expand, chomp: h.chomp, fileDescriptor: h.fileDescriptor,
          range: { start: { line: bodyStart, column: 1 }, end: { line: i, column: lines[i - 1]!.length + 1 } },
        });
      }
    }
    node.range.end = { line: last, column: lines[last - 1]!.length + 1 };
    node.source = body.slice(starts[lineNo - 1]! + lead, starts[last - 1]! + lines[last - 1]!.length);
    instructions.push(node);
  }
  if (instructions.length === 0) fail('file with no instructions', Math.max(lines.length, 1), 1);
  return { directives, escape, instructions, comments, filename, warnings };
}
