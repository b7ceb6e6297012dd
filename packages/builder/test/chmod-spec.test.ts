import assert from 'node:assert/strict';
import { parseChmod } from '../src/chmod-spec.js';
import { BuildError } from '../src/errors.js';

// --chmod as Dockerfile 1.14 takes it: octal, or chmod(1) symbols applied to each entry's own mode.
describe('--chmod', () => {
  const m = (spec: string, mode: number, isDir = false) => parseChmod(spec)(mode, isDir).toString(8);

  it('octal is absolute, whatever the entry', () => {
    assert.equal(m('0755', 0o600), '755');
    assert.equal(m('640', 0o777, true), '640');
    assert.equal(m('4755', 0o644), '4755');
  });

  it('+x, -w and = per class; no class means all three', () => {
    assert.equal(m('+x', 0o644), '755');
    assert.equal(m('u+x', 0o644), '744');
    assert.equal(m('go-w', 0o666), '644');
    assert.equal(m('a=r', 0o755), '444');
    assert.equal(m('o=', 0o757), '750');
    assert.equal(m('u+x-w', 0o644), '544');
  });

  it('X is execute only for directories and files that already have an execute bit', () => {
    assert.equal(m('u=rwX,go=rX', 0o600), '644');
    assert.equal(m('u=rwX,go=rX', 0o700), '755');
    assert.equal(m('u=rwX,go=rX', 0o600, true), '755');
    assert.equal(m('a+X', 0o640), '640');
  });

  it('copies one class to others (g=u), and sets s and t bits', () => {
    assert.equal(m('g=u', 0o740), '770');
    assert.equal(m('go=u', 0o700), '777');
    assert.equal(m('u+s', 0o755), '4755');
    assert.equal(m('g+s', 0o755, true), '2755');
    assert.equal(m('+t', 0o777, true), '1777');
    assert.equal(m('u=rw', 0o4755), '655', '= clears the class\'s set-ID bit too');
  });

  it('refuses what chmod would not take, in one line', () => {
    for (const bad of ['999', 'u+q', 'x+r', 'u+x,', '+x g']) {
      assert.throws(() => parseChmod(bad), (e: Error) => e instanceof BuildError && /^invalid --chmod=/.test(e.message), bad);
    }
  });
});
