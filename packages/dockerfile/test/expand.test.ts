import { strict as assert } from 'node:assert';
import { DockerfileError, expand, expandWithMatches, expandWords } from '../src/index.js';

/** Expectations from BuildKit's shell lexer (frontend/dockerfile/shell, envVarTest): word → result or ERROR. */
const ENV = { PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '', FILE: 'archive.tar.gz', PATHV: '/a/b/c/b' };
const SINGLE: Array<[string, string]> = [
  ['hello', 'hello'], ["he'll'o", 'hello'], ["he'llo", 'ERROR'], ["he\\'llo", "he'llo"], ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'], ['"abc\\\\tdef"', 'abc\\tdef'], ["'abc\\tdef'", 'abc\\tdef'], ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'], ['"hello', 'ERROR'], ['"hello\\"', 'ERROR'], ['"hel\'lo"', "hel'lo"], ["'hello", 'ERROR'],
  ["'hello\\'", 'hello\\'], ['"\'\'"', "''"], ['$.', '$.'], ['he$1x', 'hex'], ['he$.x', 'he$.x'], ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'], ['he\\$PWD', 'he$PWD'], ['he\\\\$PWD', 'he\\/home'], ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'], ['\\${}', '${}'], ['he\\${}xx', 'he${}xx'], ['${}', 'ERROR'], ['he${}xx', 'ERROR'],
  ['he${hi}xx', 'hexx'], ['he${PWD}', 'he/home'], ['he${.}', 'ERROR'], ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'], ['he${XXX:-$PWD}xx', 'he/homexx'], ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'], ['he${XXX:YYY}', 'ERROR'], ['he${XXX?}', 'ERROR'], ['he${XXX:?}', 'ERROR'],
  ['he${PWD?}', 'he/home'], ['he${PWD:?}', 'he/home'], ['he${NULL?}', 'he'], ['he${NULL:?}', 'ERROR'],
  ['he${XXX:+${PWD}}xx', 'hexx'], ['he${PWD:+${XXX}}xx', 'hexx'], ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'], ['he${PWD:+000}xx', 'he000xx'], ["'he${XX}'", 'he${XX}'], ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"], ['"$PWD"', '/home'], ["'$PWD'", '$PWD'], ["'\\$PWD'", '\\$PWD'],
  ['he${PWD', 'ERROR'], ['he${PWD=000}xx', 'ERROR'], ['he${PWD+${PWD}}xx', 'he/homexx'], ['he${PWD-}xx', 'he/homexx'],
  ['he${XXX-$PWD}xx', 'he/homexx'], ['he${XXX-${PWD}z}xx', 'he/homezxx'], ['${KOREAN}', '한국어'],
  ['안녕${KOREAN}', '안녕한국어'], ['${NULL:-dflt}', 'dflt'], ['${NULL-dflt}', ''], ['${NULL:+set}', ''], ['${NULL+set}', 'set'],
  ['${UNDEF:+w}', ''], ['${UNDEF+w}', ''], ['${UNDEF:-w}', 'w'], ['${UNDEF-w}', 'w'],
  ['${FILE#*.}', 'tar.gz'], ['${FILE##*.}', 'gz'], ['${FILE%.*}', 'archive.tar'], ['${FILE%%.*}', 'archive'],
  ['${PATHV/b/X}', '/a/X/c/b'], ['${PATHV//b/X}', '/a/X/c/X'], ['${PATHV/#/x}', '/a/b/c/b'], ['${PWD#/}', 'home'],
  ['${FILE#\\*}', 'archive.tar.gz'], ['${UNDEF#x}', ''], ['${PWD:x}', 'ERROR'], ['${:}', 'ERROR'], ['${{a}', 'ERROR'],
];

describe('expand (BuildKit shell lexer, single word)', () => {
  for (const [word, want] of SINGLE) {
    it(`${word} → ${want}`, () => {
      if (want === 'ERROR') {
        assert.throws(() => expand(word, ENV), (e: unknown) => e instanceof DockerfileError && /failed to process/.test(e.message));
      } else assert.equal(expand(word, ENV), want);
    });
  }
  it('honours the backtick escape', () => {
    assert.equal(expand('he`$PWD', ENV, { escape: '`' }), 'he$PWD');
    assert.equal(expand('C:\\dir\\$PWD', ENV, { escape: '`' }), 'C:\\dir\\/home');
    assert.equal(expand('"a`"b"', ENV, { escape: '`' }), 'a"b');
  });
  it('reports matched and unmatched variables', () => {
    const r = expandWithMatches('$PWD ${NOPE:-x} $ALSO_NOPE', ENV);
    assert.deepEqual([...r.matched], ['PWD']);
    assert.deepEqual([...r.unmatched].sort(), ['ALSO_NOPE', 'NOPE']);
  });
  it('accepts a Map env and puts the position in the error', () => {
    assert.equal(expand('$A', new Map([['A', 'x']])), 'x');
    assert.throws(() => expand('${', {}, { line: 7, column: 3, filename: 'Dockerfile.x' }),
      /^DockerfileError: Dockerfile\.x:7:3: failed to process "\$\{": syntax error: missing '\}'$/);
  });
});

const WORDS_ENV = { hi: 'hi', space: 'abc  def', leading: '  ab c', trailing: 'ab c   ' };
const WORDS: Array<[string, string[] | 'ERROR']> = [
  ['hello', ['hello']], ['hello${hi}bye', ['hellohibye']], ['hello${space}bye', ['helloabc', 'defbye']],
  ['hello"${space}"bye', ['helloabc  defbye']], ['hello "${space}"bye', ['hello', 'abc  defbye']],
  ['hello${leading}def', ['hello', 'ab', 'cdef']], ['hello"${leading}" def', ['hello  ab c', 'def']],
  ['hello${trailing}', ['helloab', 'c']], ['hello${trailing}d', ['helloab', 'c', 'd']],
  ['hello"${trailing}"d', ['helloab c   d']], ['hel"lo${trailing}"', ['helloab c   ']], ['hello"   there  "', ['hello   there  ']],
  ['hello there', ['hello', 'there']], ['hello\\ there', ['hello there']], ['hello" there', 'ERROR'],
  ['hello\\" there', ['hello"', 'there']], ['hello"\\\\there"', ['hello\\there']], ['hello"\\there"', ['hello\\there']],
  ["hello'\\\\there'", ['hello\\\\there']], ["hello'$there'", ['hello$there']], ['""', []], ['a "" b', ['a', 'b']],
];

describe('expandWords (BuildKit word splitting)', () => {
  for (const [word, want] of WORDS) {
    it(`${word} → ${JSON.stringify(want)}`, () => {
      if (want === 'ERROR') assert.throws(() => expandWords(word, WORDS_ENV), DockerfileError);
      else assert.deepEqual(expandWords(word, WORDS_ENV), want);
    });
  }
});
