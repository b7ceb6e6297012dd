import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BuildEnv } from './support.js';

// --build-context NAME=DIR|docker-image://REF as buildx takes it, and what a RUN --mount of a context shows.
describe('strata build: named contexts and context mounts (e2e)', function () {
  this.timeout(180_000);
  let env: BuildEnv;
  before(() => (env = new BuildEnv()));
  after(() => env.cleanup());
  const last = (stderr: string) => stderr.trim().split('\n').pop()!;
  const scratch = () => readdirSync(path.join(env.root, 'tmp')).filter((n) => /^(ctxview|stdin)-/.test(n));

  it('a RUN --mount of the context shows what .dockerignore leaves, read-write writes never reach it', () => {
    const dir = env.context('mount-ignore', {
      'keep.txt': 'a\n', 'secret.env': 'TOKEN=1\n', 'sub/x.txt': 'x\n', 'sub/y.log': 'y\n', '.dockerignore': 'secret.env\n**/*.log\n',
      Dockerfile: 'FROM busybox\nRUN --mount=type=bind,target=/c,rw find /c | sort > /seen.txt && echo w > /c/keep.txt\n',
    });
    spawnSync('chmod', ['0711', path.join(dir, 'sub')]);
    spawnSync('chown', ['1234:5678', path.join(dir, 'sub')]);
    env.build(dir, ['-t', 'mountig:1']);
    const meta = env.context('mount-ignore-meta', { Dockerfile: 'FROM busybox\nRUN --mount=type=bind,source=.,target=/c stat -c "%a %u:%g" /c/sub > /meta.txt\n' });
    spawnSync('cp', ['-a', path.join(dir, 'sub'), path.join(dir, '.dockerignore'), meta]);
    env.build(meta, ['-t', 'mountig:meta']);
    assert.equal(readFileSync(path.join(env.rootfs('mountig:meta'), 'meta.txt'), 'utf8'), '711 1234:5678\n', 'the view keeps directory modes and owners');
    assert.equal(readFileSync(path.join(env.rootfs('mountig:1'), 'seen.txt'), 'utf8'),
      ['/c', '/c/.dockerignore', '/c/Dockerfile', '/c/keep.txt', '/c/sub', '/c/sub/x.txt', ''].join('\n'));
    assert.equal(readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'a\n');
    appendFileSync(path.join(dir, 'secret.env'), 'TOKEN=2\n');
    assert.match(env.build(dir, ['-t', 'mountig:1']), /\(2 cached, 0 run\)/, 'an ignored file is neither seen nor in the key');
    assert.deepEqual(scratch(), []);
  });

  it('a directory context serves COPY --from, RUN --mount from= and FROM; an image context replaces a stage or an image', () => {
    const docs = env.context('nc-docs', { 'readme.md': 'doc\n', 'sub/x.txt': 'x\n', 'skip.tmp': 's\n', '.dockerignore': '*.tmp\n' });
    const tools = env.context('nc-tools', { 't.sh': 'tool\n' });
    const main = env.context('nc-main', {
      Dockerfile: [
        'FROM scratch AS src',
        'FROM busybox AS replaced',
        'RUN echo never > /never.txt',
        'FROM busybox',
        'COPY --from=src . /src/',
        'COPY --from=docs . /docs/',
        'RUN --mount=from=docs,target=/mnt/d find /mnt/d | sort > /mounted.txt',
        'COPY --from=replaced /etc/passwd /replaced-passwd',
        'COPY --from=pinned /bin/busybox /pinned-bb',
        'FROM tools AS from-dir',
        '',
      ].join('\n'),
    });
    const contexts = ['--build-context', `src=${tools}`, '--build-context', `docs=${docs}`, '--build-context', 'replaced=docker-image://busybox:latest',
      '--build-context', 'PINNED=docker-image://busybox:latest', '--build-context', `tools=${tools}`];
    env.build(main, ['-t', 'nc:1', '--target', '2', ...contexts]);
    const fs = env.rootfs('nc:1');
    assert.equal(readFileSync(path.join(fs, 'src/t.sh'), 'utf8'), 'tool\n');
    assert.equal(readFileSync(path.join(fs, 'docs/sub/x.txt'), 'utf8'), 'x\n');
    assert.equal(existsSync(path.join(fs, 'docs/skip.tmp')), false, 'the named context\'s own .dockerignore applies');
    assert.equal(readFileSync(path.join(fs, 'mounted.txt'), 'utf8'), ['/mnt/d', '/mnt/d/.dockerignore', '/mnt/d/readme.md', '/mnt/d/sub', '/mnt/d/sub/x.txt', ''].join('\n'));
    assert.ok(existsSync(path.join(fs, 'replaced-passwd')));
    assert.equal(existsSync(path.join(fs, 'never.txt')), false);
    assert.ok(existsSync(path.join(fs, 'pinned-bb')));
    appendFileSync(path.join(docs, 'sub/x.txt'), 'more\n');
    assert.match(env.build(main, ['-t', 'nc:1', '--target', '2', ...contexts]), /cache miss: COPY line 6: sub\/x\.txt content changed/);
    env.build(main, ['-t', 'nc:dir', ...contexts]);
    const c = env.config('nc:dir');
    assert.deepEqual(c.history.map((h) => h.created_by), ['COPY --from=tools . / # buildkit']);
    assert.equal(readFileSync(path.join(env.rootfs('nc:dir'), 't.sh'), 'utf8'), 'tool\n');
    assert.deepEqual(scratch(), []);
  });

  it('refuses an unknown source kind, a missing directory and a malformed option in one line', () => {
    const main = env.context('nc-bad', { Dockerfile: 'FROM busybox\n' });
    const cases: Array<[string, RegExp, number]> = [
      ['x=https://example.com/a.tar', /^strata: --build-context x=https:\/\/example\.com\/a\.tar: only docker-image:\/\/ and local directories are supported$/, 1],
      ['x=./no-such-dir', /^strata: --build-context x=\.\/no-such-dir: .*no-such-dir is not a directory$/, 1],
      ['x', /^strata: --build-context x: want NAME=DIR or NAME=docker-image:\/\/REF$/, 2],
    ];
    for (const [arg, want, status] of cases) {
      const r = env.strata(['build', '--build-context', arg, main]);
      assert.equal(r.status, status, arg);
      const line = r.stderr.trim().split('\n').find((l) => l.startsWith('strata: ')) ?? last(r.stderr);
      assert.match(line, want, arg);
    }
  });
});
