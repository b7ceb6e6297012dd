import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BuildEnv } from './support.js';

// `-` as docker build reads it: `-f -` takes the Dockerfile from standard input with a context directory;
// CONTEXT `-` takes a tar archive of the context (plain or compressed) or a Dockerfile alone (empty context).
describe('strata build: Dockerfile or context on standard input (e2e)', function () {
  this.timeout(180_000);
  let env: BuildEnv;
  before(() => (env = new BuildEnv()));
  after(() => env.cleanup());

  const last = (stderr: string) => stderr.trim().split('\n').pop()!;
  const leftovers = () => readdirSync(path.join(env.root, 'tmp')).filter((n) => n.startsWith('stdin-'));
  const tarOf = (dir: string, ...names: string[]) => {
    const r = spawnSync('tar', ['-cf', '-', '-C', dir, ...names], { maxBuffer: 64 << 20 });
    assert.equal(r.status, 0);
    return r.stdout;
  };

  it('-f - reads the Dockerfile from stdin; the context directory and its .dockerignore still apply', () => {
    const dir = env.context('df-stdin', { 'a.txt': 'a\n', 'skip.txt': 's\n', '.dockerignore': 'skip.txt\n' });
    const r = env.strata(['build', '--progress', 'plain', '-t', 'dfstdin:1', '-f', '-', dir], {}, env.work, 'FROM busybox\nCOPY . /ctx\n');
    assert.equal(r.status, 0, r.stderr);
    const fs = env.rootfs('dfstdin:1');
    assert.equal(readFileSync(path.join(fs, 'ctx/a.txt'), 'utf8'), 'a\n');
    assert.equal(existsSync(path.join(fs, 'ctx/skip.txt')), false);
    const bad = env.strata(['build', '-f', '-', dir], {}, env.work, 'FROM busybox\nBOGUS x\n');
    assert.equal(bad.status, 1);
    assert.match(last(bad.stderr), /^strata: <stdin>:2:1: unknown instruction: BOGUS$/);
  });

  it('CONTEXT - with a Dockerfile alone builds with an empty context, and a COPY names stdin, not a scratch path', () => {
    const r = env.strata(['build', '--progress', 'plain', '-t', 'only:1', '-'], {}, env.work, 'FROM busybox\nRUN echo made > /made.txt\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(path.join(env.rootfs('only:1'), 'made.txt'), 'utf8'), 'made\n');
    const copy = env.strata(['build', '-'], {}, env.work, 'FROM busybox\nCOPY a.txt /\n');
    assert.equal(copy.status, 1);
    assert.match(last(copy.stderr), /^strata: <stdin>:2: COPY a\.txt \/: "a\.txt" not found in build context on standard input/);
    assert.deepEqual(leftovers(), []);
  });

  it('CONTEXT - with a tar archive, plain, gzip, bzip2 or xz: -f names a file inside it; the cache works across them', () => {
    const dir = env.context('tar-ctx', {
      Dockerfile: 'FROM busybox\nCOPY app /app\n', 'alt/Dockerfile.alt': 'FROM busybox\nCOPY app/x.txt /alt.txt\n', 'app/x.txt': 'x\n',
    });
    const tar = tarOf(dir, 'Dockerfile', 'alt', 'app');
    const first = env.strata(['build', '--progress', 'plain', '-t', 'tarctx:1', '-'], {}, env.work, tar);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(readFileSync(path.join(env.rootfs('tarctx:1'), 'app/x.txt'), 'utf8'), 'x\n');
    const packed: Array<[string, Buffer]> = [['gzip', gzipSync(tar)]];
    for (const tool of ['bzip2', 'xz']) packed.push([tool, spawnSync(tool, ['-c'], { input: tar, maxBuffer: 64 << 20 }).stdout]);
    for (const [what, data] of packed) {
      const again = env.strata(['build', '--progress', 'plain', '-t', 'tarctx:1', '-'], {}, env.work, data);
      assert.equal(again.status, 0, `${what}: ${again.stderr}`);
      assert.match(again.stderr, /\(2 cached, 0 run\)/, `${what}: the same content is a hit whatever the scratch directory`);
    }
    const alt = env.strata(['build', '--progress', 'plain', '-t', 'tarctx:alt', '-f', 'alt/Dockerfile.alt', '-'], {}, env.work, gzipSync(tar));
    assert.equal(alt.status, 0, alt.stderr);
    assert.equal(readFileSync(path.join(env.rootfs('tarctx:alt'), 'alt.txt'), 'utf8'), 'x\n');
    const none = env.strata(['build', '-'], {}, env.work, tarOf(dir, 'app'));
    assert.equal(none.status, 1);
    assert.match(last(none.stderr), /^strata: Dockerfile: cannot read the Dockerfile in the context archive on standard input \(ENOENT\)$/);
    assert.deepEqual(leftovers(), []);
  });

  it('without -f takes Dockerfile, else dockerfile, else Containerfile (with its .containerignore), in a directory or an archive', () => {
    const dir = env.context('containerfile', { Containerfile: 'FROM busybox\nCOPY . /ctx\n', 'a.txt': 'a\n', 'skip.txt': 's\n', '.containerignore': 'skip.txt\n' });
    env.build(dir, ['-t', 'cf:1']);
    const fs = env.rootfs('cf:1');
    assert.equal(readFileSync(path.join(fs, 'ctx/a.txt'), 'utf8'), 'a\n');
    assert.equal(existsSync(path.join(fs, 'ctx/skip.txt')), false);
    const r = env.strata(['build', '--progress', 'plain', '-t', 'cf:2', '-'], {}, env.work, tarOf(dir, 'Containerfile', 'a.txt'));
    assert.equal(r.status, 0, r.stderr);
    const lower = env.context('lower-dockerfile', { dockerfile: 'FROM busybox\nRUN echo lower > /lower.txt\n' });
    env.build(lower, ['-t', 'cf:3']);
    assert.equal(readFileSync(path.join(env.rootfs('cf:3'), 'lower.txt'), 'utf8'), 'lower\n');
  });

  it('refuses both from stdin, and compressed input that holds no tar, in one line', () => {
    const both = env.strata(['build', '-f', '-', '-'], {}, env.work, 'FROM busybox\n');
    assert.equal(both.status, 1);
    assert.match(last(both.stderr), /^strata: the context and the Dockerfile cannot both come from standard input/);
    const junk = env.strata(['build', '-'], {}, env.work, gzipSync('not a tar\n'));
    assert.equal(junk.status, 1);
    assert.equal(last(junk.stderr), 'strata: standard input is gzip-compressed but holds no tar archive of a context');
    assert.deepEqual(leftovers(), []);
  });
});
