import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');
const strata = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input });

describe('strata parse / strata lint', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'strata-parse-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parse prints directives and one line per instruction with position, flags and arguments', () => {
    const f = file('Dockerfile', '# syntax=docker/dockerfile:1\nFROM alpine AS b\nRUN --network=none ["echo", "a b"]\nCOPY <<EOF /x\nhi\nEOF\n');
    const r = strata(['parse', '-f', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      '# syntax=docker/dockerfile:1',
      '2:1     FROM "alpine" "AS" "b"',
      '3:1     RUN --network=none (exec) "echo" "a b"',
      '4:1     COPY "<<EOF" "/x"',
      '  <<EOF "hi\\n"',
      '',
    ].join('\n'));
  });
  it('parse --json prints the syntax tree', () => {
    const r = strata(['parse', '--json', '-f', '-'], 'FROM a\nENV A=1 B="x y"\n');
    assert.equal(r.status, 0, r.stderr);
    const tree = JSON.parse(r.stdout) as { instructions: Array<{ keyword: string; args: Array<{ value: string }> }> };
    assert.deepEqual(tree.instructions[1]!.args.map((a) => a.value), ['A', '1', 'B', '"x y"']);
  });
  it('a bad Dockerfile is one line FILE:LINE:COL: reason and exit 1', () => {
    const f = file('Bad', 'FROM a\nRUN --bogus x\n');
    for (const cmd of ['parse', 'lint']) {
      const r = strata([cmd, '-f', f]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `strata: ${f}:2:5: unknown flag: --bogus\n`);
    }
  });
  it('lint prints FILE:LINE: Rule: message and exits 0 on warnings', () => {
    const f = file('Warn', 'FROM alpine AS Build\nMAINTAINER me\nCMD run\n');
    const r = strata(['lint', '-f', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      `${f}:1: StageNameCasing: Stage name 'Build' should be lowercase`,
      `${f}:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label`,
      `${f}:3: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals`,
      '',
    ].join('\n'));
  });
  it('lint exits 1 when # check=error=true turns a finding into an error, and honours skip', () => {
    const f = file('Err', '# check=error=true;skip=StageNameCasing\nFROM alpine AS Build\nCMD run\n');
    const r = strata(['lint', '-f', f]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, `${f}:3: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals\n`);
  });
  it('lint --json lists diagnostics with rule, severity, message and range; uses the .dockerignore beside the file', () => {
    const sub = path.join(dir, 'ctx');
    spawnSync('mkdir', ['-p', sub]);
    writeFileSync(path.join(sub, '.dockerignore'), 'secret.txt\n');
    writeFileSync(path.join(sub, 'Dockerfile'), 'FROM a\nCOPY secret.txt /s\n');
    const r = strata(['lint', '--json', '-f', path.join(sub, 'Dockerfile')]);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as Array<{ rule: string; severity: string; message: string; range: { start: { line: number } } }>;
    assert.deepEqual(d.map((x) => [x.rule, x.severity, x.range.start.line]), [['CopyIgnoredFile', 'warning', 2]]);
    assert.equal(d[0]!.message, 'Attempting to Copy file "secret.txt" that is excluded by .dockerignore');
  });
  it('a missing file is a one-line error', () => {
    const r = strata(['lint', '-f', path.join(dir, 'nope')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^strata: cannot read .*nope: ENOENT\n/);
  });
});
