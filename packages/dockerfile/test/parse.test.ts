import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser } from 'dockerfile-ast';
import { DockerfileError, expand, lint, parse, toStages } from '../src/index.js';

const good = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/dockerfiles/good');
const kw = (text: string) => parse(text).instructions.map((n) => n.keyword);

describe('parse', () => {
  it('reads keywords case-insensitively and keeps the spelling', () => {
    const t = parse('from alpine\nRuN echo\n');
    assert.deepEqual(t.instructions.map((n) => [n.keyword, n.keywordAsWritten]), [['FROM', 'from'], ['RUN', 'RuN']]);
  });
  it('takes directives only from the leading comment block', () => {
    assert.deepEqual(parse('# syntax=x\n#check=skip=all\n# escape=`\nFROM a\n').directives.map((d) => d.name), ['syntax', 'check', 'escape']);
    assert.equal(parse('\n# escape=`\nFROM a\n').escape, '\\', 'a blank line ends the block');
    assert.equal(parse('# hello\n# escape=`\nFROM a\n').escape, '\\', 'an ordinary comment ends the block');
    assert.equal(parse('FROM a\n# escape=`\n').directives.length, 0);
    assert.equal(parse('#  ESCAPE = `  \nFROM a\n').escape, '`', 'names are case-insensitive, spaces allowed');
  });
  it('applies the escape character to continuations and words', () => {
    const t = parse('# escape=`\nFROM a\nRUN echo \\ `\n  done\nENV A=x`"y\n');
    assert.equal(t.instructions[1]!.args[0]!.value, 'echo \\   done');
    assert.equal(t.instructions[2]!.args[1]!.value, 'x`"y');
  });
  it('handles comment and empty lines inside a continuation and a continuation at end of file', () => {
    const t = parse('FROM a\nRUN a \\\n# c\n\n  b \\\n');
    assert.equal(t.instructions[1]!.args[0]!.value, 'a   b');
    assert.deepEqual(t.instructions[1]!.range.end, { line: 5, column: 6 });
    assert.equal(t.warnings.length, 1);
  });
  it('decides JSON form as BuildKit does', () => {
    const form = (s: string) => { const n = parse(`FROM a\nCMD ${s}\n`).instructions[1]!; return [n.json, n.args.map((a) => a.value)]; };
    assert.deepEqual(form('["a b"]'), [true, ['a b']]);
    assert.deepEqual(form('["\\n", "\\u0041"]'), [true, ['\n', 'A']]);
    assert.deepEqual(form("['a']"), [false, ["['a']"]]);
    assert.deepEqual(form('["a"'), [false, ['["a"']]);
    assert.deepEqual(form('["a"] extra'), [false, ['["a"] extra']]);
    assert.throws(() => parse('FROM a\nCMD ["a", null]\n'), /2:5: when using JSON array syntax/);
  });
  it('parses several heredocs on one line, quoted delimiters and <<- terminators', () => {
    const t = parse('FROM a\nRUN <<-A cat - <<"B"\n\tone\n\tA\ntwo $X\nB\nRUN echo after\n');
    const hs = t.instructions[1]!.heredocs;
    assert.deepEqual(hs.map((h) => [h.name, h.content, h.expand, h.chomp]), [['A', '\tone\n', true, true], ['B', 'two $X\n', false, false]]);
    assert.deepEqual(t.instructions.map((n) => n.range.start.line), [1, 2, 7]);
  });
  it('reports an unterminated heredoc at its line instead of swallowing the file', () => {
    assert.throws(() => parse('FROM a\nRUN <<EOF\nx\n'), (e: unknown) => e instanceof DockerfileError && e.line === 2 && /unterminated heredoc/.test(e.message));
  });
  it('gives flags and arguments their columns', () => {
    const n = parse('FROM a\nCOPY  --chown=1:1 --link src dst\n').instructions[1]!;
    assert.deepEqual(n.flags.map((f) => [f.name, f.value, f.range.start.column]), [['chown', '1:1', 7], ['link', null, 19]]);
    assert.deepEqual(n.args.map((a) => [a.value, a.range.start.column, a.range.end.column]), [['src', 26, 29], ['dst', 30, 33]]);
  });
  it('parses ONBUILD into its inner instruction', () => {
    const n = parse('FROM a\nONBUILD COPY --from=x a b\n').instructions[1]!;
    assert.equal(n.inner!.keyword, 'COPY');
    assert.equal(n.inner!.flags[0]!.range.start.column, 14);
  });
  it('names an unknown instruction with its line', () => {
    assert.throws(() => parse('FROM a\n\nFETCH bar\n', { filename: 'x/Dockerfile' }), /^DockerfileError: x\/Dockerfile:3:1: unknown instruction: FETCH$/);
  });
  it('strips a UTF-8 BOM and accepts CRLF', () => assert.deepEqual(kw('\uFEFFFROM a\r\nRUN b\r\n'), ['FROM', 'RUN']));
});

describe('parse agrees with dockerfile-ast where dockerfile-ast is right', () => {
  // dockerfile-ast 0.7.1 does not know file-descriptor heredocs (`3<<FD`): it reads their bodies as instructions.
  const skip = new Set(['heredocs.Dockerfile']);
  for (const f of readdirSync(good).filter((x) => x.endsWith('.Dockerfile') && !skip.has(x))) {
    it(`${f}: same instruction keywords and start lines`, () => {
      const text = readFileSync(path.join(good, f), 'utf8');
      const theirs = DockerfileParser.parse(text).getInstructions().map((i) => `${i.getKeyword()}@${i.getRange().start.line + 1}`);
      const ours = parse(text).instructions.map((n) => `${n.keyword}@${n.range.start.line}`);
      assert.deepEqual(ours, theirs);
    });
  }
});

describe('hostile input', () => {
  it('deep ONBUILD chains and deeply nested substitutions are errors, not stack overflows', () => {
    assert.throws(() => parse('FROM a\n' + 'ONBUILD '.repeat(100_000) + 'RUN x\n'), (e: unknown) => e instanceof DockerfileError && /2:9: Chaining ONBUILD/.test(e.message));
    const deep = '${X:-'.repeat(100_000) + '}'.repeat(100_000);
    assert.throws(() => expand(deep, {}), (e: unknown) => e instanceof DockerfileError && /nested too deeply/.test(e.message));
    assert.throws(() => expand('${X:-"'.repeat(50_000), {}), DockerfileError);
    assert.equal(expand('${X:-'.repeat(500) + 'ok' + '}'.repeat(500), {}), 'ok');
  });
  it('handles a 20,000-stage chain and finds a cycle through it without recursion', () => {
    const n = 20_000;
    const chain = Array.from({ length: n }, (_, i) => `FROM s${i} AS s${i + 1}`).join('\n');
    const st = toStages(parse(`FROM a AS s0\n${chain}\n`));
    assert.equal(st.stages.length, n + 1);
    assert.deepEqual(st.stages[n]!.base, { kind: 'stage', index: n - 1 });
    lint(parse(`FROM a AS s0\n${chain}\n`));
    assert.throws(() => toStages(parse(`FROM a AS s0\nCOPY --from=s${n} /a /b\n${chain}\n`)), /circular dependency detected on stage: s0/);
  });
  it('accepts bytes as well as text', () => {
    assert.deepEqual(parse(Buffer.from('FROM a\nRUN \xff\n', 'latin1')).instructions[1]!.args[0]!.value, 'RUN \uFFFD'.slice(4));
  });
});
