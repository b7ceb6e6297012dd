import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BuildEnv, cachedCount, misses } from './support.js';

// The content-hash cache: hits do no work, every miss says why, and nothing fools it.
describe('strata build: layer cache (e2e)', function () {
  this.timeout(180_000);
  let env: BuildEnv;
  before(() => (env = new BuildEnv()));
  after(() => env.cleanup());

  const dockerfile = [
    'FROM busybox',
    'ARG VERSION=1.2',
    'RUN echo "version $VERSION" > /version',
    'COPY src/ /app/',
    'RUN cat /app/app.js > /app/copy.js',
    '',
  ].join('\n');

  it('a rebuild of unchanged inputs is fully cached and gives the same image', () => {
    const dir = env.context('same', { 'src/app.js': 'console.log(1)\n', Dockerfile: dockerfile });
    env.build(dir, ['-t', 'same:1']);
    const id1 = env.config('same:1');
    const log = env.build(dir, ['-t', 'same:2']);
    assert.deepEqual(misses(log), []);
    assert.equal(cachedCount(log), 4);
    assert.deepEqual(env.config('same:2'), id1, 'same config (and so the same image id)');
  });

  it('a metadata-only Dockerfile rebuilt unchanged gives the same image (no step time: the base image\'s)', () => {
    const dir = env.context('meta', { Dockerfile: 'FROM busybox\nENV A=1\nLABEL x=y\nCMD ["sh"]\n' });
    env.build(dir, ['-t', 'meta:1']);
    const first = env.config('meta:1');
    env.build(dir, ['-t', 'meta:2']);
    const second = env.config('meta:2');
    assert.deepEqual(second, first);
    const base = env.config('busybox:latest');
    assert.equal((second as unknown as { created: string }).created, (base as unknown as { created: string }).created);
  });

  it('explains a miss from a changed build arg and from a changed file', () => {
    const dir = env.context('explain', { 'src/app.js': 'console.log(1)\n', 'src/other.js': 'x\n', Dockerfile: dockerfile });
    env.build(dir);
    const byArg = misses(env.build(dir, ['--build-arg', 'VERSION=1.3']));
    assert.equal(byArg[0], 'RUN line 3: ARG VERSION 1.2 → 1.3');
    assert.equal(byArg.length, 3, 'every step after the changed one misses too');
    writeFileSync(path.join(dir, 'src/app.js'), 'console.log(2)\n');
    const m = misses(env.build(dir, ['--build-arg', 'VERSION=1.3']));
    assert.equal(m[0], 'COPY line 4: src/app.js content changed');
    assert.equal(m.length, 2, `the COPY and the RUN after it miss: ${m.join(' | ')}`);
  });

  it('catches an edit that keeps the size and the mtime (a known false hit elsewhere)', () => {
    const dir = env.context('sneaky', { 'src/app.js': 'AAAA\n', Dockerfile: dockerfile });
    env.build(dir);
    const file = path.join(dir, 'src/app.js');
    const ref = path.join(env.work, 'mtime-ref');
    assert.equal(spawnSync('touch', ['-r', file, ref]).status, 0);
    const before = statSync(file, { bigint: true });
    writeFileSync(file, 'BBBB\n');
    // touch -r restores the exact nanosecond mtime: only content (and ctime) differ now.
    assert.equal(spawnSync('touch', ['-r', ref, file]).status, 0);
    const after = statSync(file, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs);
    assert.equal(after.size, before.size);
    const m = misses(env.build(dir));
    assert.equal(m[0], 'COPY line 4: src/app.js content changed');
  });

  it('--no-cache runs every step; a touched but unchanged file stays a hit', () => {
    const dir = env.context('nocache', { 'src/app.js': 'same\n', Dockerfile: dockerfile });
    env.build(dir);
    const now = new Date();
    utimesSync(path.join(dir, 'src/app.js'), now, new Date(now.getTime() + 5000));
    assert.deepEqual(misses(env.build(dir)), [], 'mtime is not part of the key');
    const log = env.build(dir, ['--no-cache']);
    assert.equal(cachedCount(log), 0);
  });

  it('SOURCE_DATE_EPOCH makes cold builds in different directories give the same digest', () => {
    const a = env.context('repro-a', { 'src/app.js': 'r\n', Dockerfile: dockerfile });
    const b = path.join(env.work, 'elsewhere', 'repro-b');
    cpSync(a, b, { recursive: true });
    const e = { SOURCE_DATE_EPOCH: '1700000000' };
    env.build(a, ['-t', 'repro:a', '--no-cache'], e);
    env.build(b, ['-t', 'repro:b', '--no-cache'], e);
    const ca = env.config('repro:a');
    assert.deepEqual(env.config('repro:b'), ca);
    assert.ok(ca.history.every((h) => typeof h.created !== 'string' || h.created <= '2023-11-14T22:13:20Z' || h.created === '2023-11-14T22:13:20.000Z'));
    const ia = env.strata(['images']).stdout.split('\n').find((l) => l.startsWith('repro ') && /\ba\b/.test(l))!;
    const ib = env.strata(['images']).stdout.split('\n').find((l) => l.startsWith('repro ') && /\bb\b/.test(l))!;
    assert.equal(ia.split(/\s+/)[2], ib.split(/\s+/)[2], 'same image id');
  });

  it('cache explain prints the last build\'s reasons after the fact; cache prune empties the cache but keeps images', () => {
    const dir = env.context('after', { 'src/app.js': 'a\n', Dockerfile: dockerfile });
    env.build(dir, ['-t', 'after:1']);
    env.build(dir, ['-t', 'after:1', '--build-arg', 'VERSION=9']);
    const ex = env.strata(['cache', 'explain', 'after:1']);
    assert.equal(ex.status, 0, ex.stderr);
    assert.match(ex.stdout, /line 3: RUN .*\n\s+RUN line 3: ARG VERSION 1\.2 → 9\n/);
    assert.match(ex.stdout, /line 1: FROM busybox\n\s+CACHED\n/);
    const ls = env.strata(['cache', 'ls', '--json']);
    assert.ok((JSON.parse(ls.stdout) as unknown[]).length >= 5);
    const pr = env.strata(['cache', 'prune']);
    assert.match(pr.stdout, /^removed \d+ cache entries/);
    assert.deepEqual(JSON.parse(env.strata(['cache', 'ls', '--json']).stdout), []);
    const run = env.strata(['run', 'after:1', 'cat', '/version']);
    assert.equal(run.stdout, 'version 9\n', 'the image survives a cache prune');
    assert.equal(misses(env.build(dir, ['--build-arg', 'VERSION=9'])).length, 4);
  });

  it('an ADD URL is keyed by what the server sends, not only by its address', async () => {
    let body = 'version one\n';
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data.txt`;
      const dir = env.context('addurl', { Dockerfile: `FROM busybox\nADD ${url} /data.txt\nRUN cat /data.txt > /copy\n` });
      const build = async () => {
        const r = await env.run(['build', '--progress', 'plain', '-t', 'addurl:1', dir]);
        assert.equal(r.status, 0, r.stderr);
        return misses(r.stderr);
      };
      await build();
      assert.deepEqual(await build(), [], 'same content: hit');
      body = 'version two\n';
      const m = await build();
      assert.match(m[0] ?? '', /^ADD line 2: /);
      assert.equal(env.strata(['run', 'addurl:1', 'cat', '/copy']).stdout, 'version two\n');
    } finally {
      server.close();
    }
  });

  it('cache prune also removes the gzipped copies a remote export made of pruned layers', () => {
    // Layers up to 16 kB travel as they are; the 40 kB file makes the COPY layer one that gets a gzipped twin.
    const dir = env.context('wire', { 'src/app.js': 'w\n', 'src/data.txt': 'gzip me '.repeat(5000), Dockerfile: dockerfile });
    const remote = path.join(env.work, 'remote-cache');
    env.build(dir, ['--cache-to', `type=local,dest=${remote},mode=max`]);
    const wireDir = path.join(env.root, 'cache', 'wire');
    assert.ok(readdirSync(wireDir).length > 0, 'the export made gzipped twins');
    const twins = readdirSync(wireDir).map((f) => (JSON.parse(readFileSync(path.join(wireDir, f), 'utf8')) as { digest: string }).digest);
    env.strata(['cache', 'prune']);
    assert.deepEqual(readdirSync(wireDir), []);
    for (const d of twins) assert.equal(existsSync(path.join(env.root, 'blobs', 'sha256', d.slice(7))), false, `${d} pruned`);
  });
});
