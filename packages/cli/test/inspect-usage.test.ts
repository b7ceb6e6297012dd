import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');
const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: '/nonexistent-strata-root' } });

describe('strata history / inspect / ls / diff / analyze: usage', () => {
  it('are listed in --help', () => {
    const r = strata('--help');
    for (const c of ['analyze', 'diff', 'history', 'inspect', 'ls']) assert.match(r.stdout, new RegExp(`\\n {2}${c} +\\S`));
  });

  it('each explains its sources and options', () => {
    for (const c of ['analyze', 'diff', 'history', 'inspect', 'ls']) {
      const r = strata(c, '--help');
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`^Usage: strata ${c} `));
      assert.match(r.stdout, /oci:DIR\[:TAG\]/);
      assert.match(r.stdout, /docker-archive:FILE/);
    }
    assert.match(strata('analyze', '--help').stdout, /--max-wasted-bytes SIZE[\s\S]*--max-wasted-percent RATIO[\s\S]*--min-efficiency RATIO/);
    assert.match(strata('diff', '--help').stdout, /--mtime[\s\S]*--json[\s\S]*--markdown[\s\S]*--html FILE/);
  });

  const usage: [string[], RegExp][] = [
    [['history'], /^strata: history takes exactly one image$/],
    [['inspect', 'a', '--format', 'yaml'], /^strata: --format must be text or json, not "yaml"$/],
    [['inspect', 'a', '--config', '--manifest'], /^strata: give --config or --manifest, not both$/],
    [['ls'], /^strata: ls takes an image and an optional path$/],
    [['diff', 'a'], /^strata: diff takes exactly two images/],
    [['diff', 'a', 'b', '--json', '--markdown'], /^strata: give --json or --markdown, not both$/],
    [['diff', 'a#1', 'b'], /^strata: compare two images or two layers/],
    [['analyze', 'a', '--max-wasted-bytes', 'lots'], /^strata: --max-wasted-bytes wants a byte count/],
    [['analyze', 'a', '--max-wasted-percent', '300%'], /^strata: --max-wasted-percent wants a ratio/],
    [['analyze', 'a', '--top', '0'], /^strata: --top wants a positive whole number$/],
    [['analyze', 'a', '--frobnicate'], /^strata: unknown option --frobnicate$/],
  ];
  for (const [args, re] of usage) {
    it(`strata ${args.join(' ')}: usage error, exit 2`, () => {
      const r = strata(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr.split('\n')[0]!, re);
    });
  }
});
