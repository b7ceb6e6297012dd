import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT, Runner, wireDigests } from './support.js';

/** How a backend test names its cache: `--cache-to` / `--cache-from` values and extra environment. */
export interface BackendUnderTest {
  to(mode?: 'min' | 'max'): string;
  from(): string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The tests every backend passes: two runners (separate state roots holding only busybox) share nothing but
 * the remote cache. `backend()` is read inside the tests, after the suite's before() started the server.
 */
export function backendScenarios(backend: () => BackendUnderTest): void {
  let runners: Runner[] = [];
  const runner = (): Runner => {
    const r = new Runner();
    runners.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of runners) r.cleanup();
    runners = [];
  });

  it('runner B imports what A exported: every step a hit, the same image, only the output layers downloaded', async function () {
    this.timeout(120000);
    const b = backend();
    const A = runner();
    const ctxA = A.context('proj', PROJECT);
    const a = await A.mustBuild(ctxA, ['-t', 'app', '--cache-to', b.to('max')], b.env);
    assert.equal(a.meta.ran, 5);
    const ex = a.meta.remote!.exported[0]!;
    assert.equal(ex.entriesWritten, 5, 'five entries (FROM, RUN, COPY --from, RUN, COPY)');
    assert.equal(ex.blobsUploaded, 4, 'four new layers; the busybox layer stays home');
    assert.deepEqual(a.warnings, []);

    const B = runner();
    const ctxB = B.context('proj', PROJECT);
    const got = await B.mustBuild(ctxB, ['-t', 'app', '--cache-from', b.from()], b.env);
    assert.deepEqual(got.warnings, []);
    assert.equal(got.meta.cached, 5, got.log);
    assert.equal(got.meta.ran, 0);
    assert.equal(got.id, a.id, 'a fully cached build gives the same image');
    const imp = got.meta.remote!.imported;
    // The three layers of the output are fetched; the builder stage's 400 kB layer never is.
    assert.equal(imp.blobsDownloaded, 3);
    assert.ok(imp.bytesDownloaded > 0 && imp.bytesDownloaded < 20000, `downloaded ${imp.bytesDownloaded} bytes`);
    const rootfs = B.rootfs('app');
    assert.equal(readFileSync(path.join(rootfs, 'msg'), 'utf8'), 'built\n');
    assert.equal(readFileSync(path.join(rootfs, 'hello'), 'utf8'), 'hello\n');
    assert.equal(readFileSync(path.join(rootfs, 'app', 'main.txt'), 'utf8'), 'main v1\n');

    // A change on B: steps before it hit remotely; the changed step runs on the unpacked parent chain.
    writeFileSync(path.join(ctxB, 'app', 'main.txt'), 'main v2\n');
    const B2 = runner();
    const ctxB2 = B2.context('proj', { ...PROJECT, 'app/main.txt': 'main v2\n' });
    const changed = await B2.mustBuild(ctxB2, ['-t', 'app', '--cache-from', b.from()], b.env);
    assert.equal(changed.meta.cached, 4);
    assert.equal(changed.meta.ran, 1);
    // B2 never built the step: its miss is explained against the pre-image runner A exported, not "not built before".
    assert.match(changed.log, /cache miss: COPY line 6: .*main\.txt content changed/, changed.log);
    assert.match(B2.strata(['cache', 'explain']).stdout, /COPY line 6: .*main\.txt content changed/);
    assert.equal(readFileSync(path.join(B2.rootfs('app'), 'app', 'main.txt'), 'utf8'), 'main v2\n');
  });

  it('a second export after a one-file change uploads only the changed step', async function () {
    this.timeout(120000);
    const b = backend();
    const A = runner();
    const ctx = A.context('proj2', { ...PROJECT, 'app/main.txt': 'second project\n' });
    await A.mustBuild(ctx, ['-t', 'app', '--cache-to', b.to('max')], b.env);
    writeFileSync(path.join(ctx, 'app', 'main.txt'), 'second project, edited\n');
    const again = await A.mustBuild(ctx, ['-t', 'app', '--cache-to', b.to('max')], b.env);
    const ex = again.meta.remote!.exported[0]!;
    assert.equal(ex.entriesWritten, 1);
    assert.equal(ex.entriesPresent, 4);
    assert.equal(ex.blobsUploaded, 1, 'only the COPY layer');
    assert.deepEqual(ex.uploaded, wireDigests(A, 'app').slice(-1), 'the blob sent is the COPY step\'s layer');
    // The entry and, inside it, the COPY layer (a tiny tar travels as it is).
    assert.ok(ex.bytesUploaded < 8000, `uploaded ${ex.bytesUploaded} bytes`);
  });

  it('a change in the middle: the second export sends exactly the blobs of the steps from the change on', async function () {
    this.timeout(120000);
    const b = backend();
    const A = runner();
    const files = {
      Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY app /app\nRUN cp /app/main.txt /copy && head -c 3000 /dev/urandom > /noise\nRUN echo last > /last\n',
      'app/main.txt': 'v1\n',
    };
    const ctx = A.context('mid', files);
    const first = await A.mustBuild(ctx, ['-t', 'mid', '--cache-to', b.to('max')], b.env);
    assert.equal(first.meta.remote!.exported[0]!.entriesWritten, 5);
    writeFileSync(path.join(ctx, 'app', 'main.txt'), 'v2\n');
    const again = await A.mustBuild(ctx, ['-t', 'mid', '--cache-to', b.to('max')], b.env);
    const ex = again.meta.remote!.exported[0]!;
    assert.equal(again.meta.ran, 3);
    assert.deepEqual([ex.entriesWritten, ex.entriesPresent], [3, 2]);
    // The image's top three layers are the changed steps' (COPY and both RUNs after it): those, and only those.
    const layers = wireDigests(A, 'mid');
    assert.equal(layers.length, 5, 'busybox and four steps\' layers');
    // Every blob sent is a changed step's; every changed step's blob the remote did not have is sent. (A
    // layer that came out byte-identical may be found there, or, when small, travel again inside its entry.)
    const changed = layers.slice(-3);
    const before = new Set(first.meta.remote!.exported[0]!.uploaded);
    for (const d of ex.uploaded) assert.ok(changed.includes(d), `${d} is not a changed step's layer`);
    for (const d of changed.filter((x) => !before.has(x))) assert.ok(ex.uploaded.includes(d), `${d} was not sent`);
    assert.ok(ex.uploaded.length >= 2, `the COPY and the noisy RUN layer at least: ${ex.uploaded.join(' ')}`);

    // Another runner imports the changed build: every step a hit, the same image.
    const B = runner();
    const got = await B.mustBuild(B.context('mid', { ...files, 'app/main.txt': 'v2\n' }), ['-t', 'mid', '--cache-from', b.from()], b.env);
    assert.equal(got.meta.ran, 0, got.log);
    assert.equal(got.id, again.id);
  });

  it('two runners export different branches at the same time; a third runner hits both', async function () {
    this.timeout(180000);
    const b = backend();
    const branch = (name: string) => ({
      Dockerfile: `FROM busybox\nRUN echo ${name} > /branch && head -c 50000 /dev/urandom > /noise\nCOPY app /app\n`,
      'app/x.txt': `${name}\n`,
    });
    const [R1, R2] = [runner(), runner()];
    const [c1, c2] = [R1.context('feat-a', branch('feat-a')), R2.context('feat-b', branch('feat-b'))];
    const [x1, x2] = await Promise.all([
      R1.mustBuild(c1, ['-t', 'a', '--cache-to', b.to('max')], b.env),
      R2.mustBuild(c2, ['-t', 'b', '--cache-to', b.to('max')], b.env),
    ]);
    const C = runner();
    const y1 = await C.mustBuild(C.context('feat-a', branch('feat-a')), ['-t', 'a', '--cache-from', b.from()], b.env);
    const y2 = await C.mustBuild(C.context('feat-b', branch('feat-b')), ['-t', 'b', '--cache-from', b.from()], b.env);
    assert.equal(y1.meta.ran, 0, y1.log);
    assert.equal(y2.meta.ran, 0, y2.log);
    assert.equal(y1.id, x1.id);
    assert.equal(y2.id, x2.id);
    assert.equal(readFileSync(path.join(C.rootfs('b'), 'branch'), 'utf8'), 'feat-b\n');
  });

  it('a cache mount restored on runner B holds what runner A left, and re-exports incrementally', async function () {
    this.timeout(120000);
    const b = backend();
    const A = runner();
    const ctxA = A.context('mnt', {
      Dockerfile: 'FROM busybox\nRUN --mount=type=cache,id=pkgs,target=/cache sh -c "echo from-A > /cache/state; mkdir -p /cache/d; head -c 20000 /dev/urandom > /cache/d/blob; ln -sf d/blob /cache/link"\n',
    });
    const a = await A.mustBuild(ctxA, ['--cache-to', b.to('max'), '--cache-mounts'], b.env);
    const m = a.meta.remote!.exported[0]!.mounts!;
    assert.equal(m.mounts, 1);
    assert.equal(m.files, 2);
    assert.equal(m.transferred, 2);
    const hashDir = createHash('sha256').update('pkgs').digest('hex').slice(0, 32);
    const blobA = readFileSync(path.join(A.root, 'cache-mounts', hashDir, 'd', 'blob'));

    const B = runner();
    const ctxB = B.context('mnt', {
      Dockerfile: 'FROM busybox\nRUN --mount=type=cache,id=pkgs,target=/cache sh -c "cat /cache/state > /seen; cat /cache/link > /blob"\n',
    });
    const got = await B.mustBuild(ctxB, ['-t', 'seen', '--cache-from', b.from(), '--cache-mounts'], b.env);
    assert.equal(got.meta.remote!.mountsImported?.files, 2);
    const rootfs = B.rootfs('seen');
    assert.equal(readFileSync(path.join(rootfs, 'seen'), 'utf8'), 'from-A\n');
    assert.ok(readFileSync(path.join(rootfs, 'blob')).equals(blobA), 'the file A left, byte for byte');

    // One changed file: the next export sends that file only.
    writeFileSync(path.join(A.root, 'cache-mounts', hashDir, 'state'), 'from-A, later\n');
    const again = await A.mustBuild(ctxA, ['--cache-to', b.to('max'), '--cache-mounts'], b.env);
    assert.equal(again.meta.remote!.exported[0]!.mounts!.transferred, 1);
    assert.ok(readdirSync(path.join(A.root, 'cache-mounts')).includes(hashDir));
  });
}
