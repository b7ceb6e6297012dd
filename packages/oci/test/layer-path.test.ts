import assert from 'node:assert/strict';
import { comparePathBytes, comparePaths } from '../src/layer-path.js';

describe('comparePaths', function () {
  it('orders as the UTF-8 bytes with "/" below every other byte, for every kind of character', function () {
    // Slash and dot (component order), ASCII, Latin-1, BMP either side of the surrogates, astral characters
    // (surrogate pairs), lone surrogates and U+FFFD (which they encode as).
    const alphabet = ['/', '.', '-', '0', 'a', 'b', 'é', '\u00ff', '\u0100', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\ufffd', '\uffff', '\ud83d\ude00', '\ud800', '\udfff'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const word = () => Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join('');
    const sign = (x: number) => Math.sign(x);
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      // Often a shared prefix, so that the difference comes late or one is a prefix of the other.
      const b = rand(2) ? a.slice(0, rand(a.length + 1)) + word() : word();
      assert.equal(sign(comparePaths(a, b)), sign(comparePathBytes(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      assert.equal(sign(comparePaths(b, a)), sign(comparePathBytes(b, a)), `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
    }
  });

  it('puts a directory before its children and its children before a sibling with a higher byte', function () {
    const sorted = ['a', 'a/x', 'a/x/y', 'a-b', 'a.b', 'ab', 'b'];
    assert.deepEqual([...sorted].reverse().sort(comparePaths), sorted);
  });
});
