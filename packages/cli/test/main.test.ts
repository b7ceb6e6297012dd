import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../src/args.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');
const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('strata command', () => {
  it('--version prints the package version', () => {
    const r = strata('--version');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^strata \d+\.\d+\.\d+\n$/);
  });
  it('--help lists commands and exits 0', () => {
    const r = strata('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Commands:\n/);
    assert.match(r.stdout, /\n {2}version +print the version\n/);
  });
  it('an unknown command is one line and exit 2, no stack', () => {
    const r = strata('frobnicate');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split('\n')[0], 'strata: unknown command "frobnicate"');
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('argument parser', () => {
  const spec = { tag: { type: 'multi', short: 't' }, file: { type: 'string', short: 'f' }, quiet: { type: 'boolean', short: 'q' } } as const;
  it('reads long, short, inline and repeated options', () => {
    const p = parseArgs(['-t', 'a', '--tag=b', '-fDockerfile', '-q', 'ctx'], { ...spec });
    assert.deepEqual(p.options, { tag: ['a', 'b'], file: 'Dockerfile', quiet: true });
    assert.deepEqual(p.positionals, ['ctx']);
  });
  it('stops at the first positional when asked', () => {
    const p = parseArgs(['-q', 'img', 'ls', '-l'], { ...spec }, true);
    assert.deepEqual(p.positionals, ['img', 'ls', '-l']);
  });
  it('rejects unknown options and missing values', () => {
    assert.throws(() => parseArgs(['--nope'], { ...spec }), /unknown option --nope/);
    assert.throws(() => parseArgs(['--file'], { ...spec }), /needs a value/);
  });
});
