import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backendScenarios } from './scenarios.js';
import { PROJECT, Runner, dirEntries, scratch } from './support.js';

describe('remote cache: type=local directory', () => {
  let cache: { dir: string; remove: () => void };
  beforeEach(() => { cache = scratch('strata-cache-dir-'); });
  afterEach(() => cache.remove());

  describe('scenarios', () => {
    backendScenarios(() => ({
      to: (mode = 'max') => `type=local,dest=${cache.dir},mode=${mode}`,
      from: () => `type=local,src=${cache.dir}`,
    }));
  });

  describe('bad blobs and bad places', () => {
    let runners: Runner[] = [];
    const runner = () => { const r = new Runner(); runners.push(r); return r; };
    afterEach(() => { for (const r of runners) r.cleanup(); runners = []; });

    /** Exports PROJECT from a runner and returns the entries' layer digests by layer count. */
    const exportProject = async () => {
      const A = runner();
      const a = await A.mustBuild(A.context('proj', PROJECT), ['-t', 'app', '--cache-to', `type=local,dest=${cache.dir},mode=max`]);
      const entries = dirEntries(cache.dir);
      // The final stage's chain: busybox + COPY --from (2), + RUN echo (3), + COPY app (4).
      const top = (n: number) => entries.find((e) => e.state.layers.length === n && e.state.layers[n - 1]!.size < 50000)!.state.layers[n - 1]!.digest;
      return { a, runEcho: top(3), copyApp: top(4) };
    };

    it('a remote entry whose blob is missing is a miss with one warning; the image is right', async function () {
      this.timeout(120000);
      const { a, runEcho } = await exportProject();
      unlinkSync(path.join(cache.dir, 'blobs', 'sha256', runEcho.slice(7)));
      const B = runner();
      const got = await B.mustBuild(B.context('proj', PROJECT), ['-t', 'app', '--cache-from', `type=local,src=${cache.dir}`]);
      assert.equal(got.warnings.length, 1, got.log);
      // A hit is trusted without existence checks; the missing blob shows when it is fetched.
      assert.match(got.warnings[0]!, /blob sha256:[a-f0-9]{64} is missing .*rebuilding the steps that need it/);
      assert.equal(got.meta.ran, 2, 'RUN echo and the COPY after it run again');
      const rootfs = B.rootfs('app');
      assert.equal(readFileSync(path.join(rootfs, 'hello'), 'utf8'), 'hello\n');
      assert.equal(readFileSync(path.join(rootfs, 'app', 'main.txt'), 'utf8'), 'main v1\n');
      assert.notEqual(got.id, undefined);
      void a;
    });

    it('a remote blob whose bytes are corrupt is a miss with one warning, never a wrong image', async function () {
      this.timeout(120000);
      const { copyApp } = await exportProject();
      const file = path.join(cache.dir, 'blobs', 'sha256', copyApp.slice(7));
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(file, bytes);
      const B = runner();
      const got = await B.mustBuild(B.context('proj', PROJECT), ['-t', 'app', '--cache-from', `type=local,src=${cache.dir}`]);
      assert.equal(got.warnings.length, 1, got.log);
      assert.match(got.warnings[0]!, /blob sha256:[a-f0-9]{64} is corrupt .*rebuilding the steps that need it/);
      assert.equal(got.meta.ran, 1, 'only COPY app runs again');
      assert.equal(readFileSync(path.join(B.rootfs('app'), 'app', 'main.txt'), 'utf8'), 'main v1\n');
      assert.ok(!existsSync(path.join(B.root, 'blobs', 'sha256', copyApp.slice(7))) || statSync(path.join(B.root, 'blobs', 'sha256', copyApp.slice(7))).size !== bytes.length
        || !readFileSync(path.join(B.root, 'blobs', 'sha256', copyApp.slice(7))).equals(bytes), 'the corrupt bytes never enter the store');
    });

    it('a source that does not exist: one warning, the build runs without it; --cache-required fails', async function () {
      this.timeout(120000);
      const B = runner();
      const ctx = B.context('proj', PROJECT);
      const missing = path.join(cache.dir, 'nope');
      const got = await B.mustBuild(ctx, ['--cache-from', `type=local,src=${missing}`]);
      assert.equal(got.warnings.length, 1);
      assert.match(got.warnings[0]!, /cache source cache directory .*nope unusable, building without it: ENOENT/);
      assert.equal(got.meta.ran, 5);
      const strict = await B.buildWith(ctx, ['--cache-from', `type=local,src=${missing}`, '--cache-required']);
      assert.notEqual(strict.status, 0);
      assert.match(strict.log, /--cache-from type=local,src=.*nope: .*ENOENT/);
    });

    it('a full disk on export: one warning, the build is kept, and no partial entry is visible', async function () {
      this.timeout(120000);
      const mnt = path.join(cache.dir, 'small');
      mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt]);
      try {
        const A = runner();
        const got = await A.mustBuild(A.context('proj', PROJECT), ['-t', 'app', '--cache-to', `type=local,dest=${mnt},mode=max`]);
        assert.equal(got.warnings.length, 1, got.log);
        assert.match(got.warnings[0]!, /cache export to cache directory .* failed, the build is kept: .*ENOSPC \(disk full\)/);
        assert.equal(got.meta.ran, 5);
        // Whatever entries made it name only blobs that are there whole; no temp file is left as an entry.
        const entries = existsSync(path.join(mnt, 'entries')) ? dirEntries(mnt) : [];
        for (const e of entries) {
          for (const l of e.state.layers.slice(1)) assert.equal(statSync(path.join(mnt, 'blobs', 'sha256', l.digest.slice(7))).size, l.size);
        }
        const strict = await A.buildWith(A.context('proj-b', { ...PROJECT, 'app/main.txt': 'other\n' }), ['--cache-to', `type=local,dest=${mnt},mode=max`, '--cache-required']);
        assert.notEqual(strict.status, 0);
        assert.match(strict.log, /--cache-to type=local,dest=.*ENOSPC/);
      } finally {
        spawnSync('umount', [mnt]);
      }
    });

    it('strata cache prune --remote removes entries not hit for the given time, and their blobs', async function () {
      this.timeout(120000);
      await exportProject();
      const A = runners[0]!;
      const spec = `type=local,dest=${cache.dir}`;
      const keep = A.strata(['cache', 'prune', '--remote', spec, '--older-than', '7d']);
      assert.equal(keep.status, 0, keep.stderr);
      assert.match(keep.stdout, /removed 0 cache entries \(5 kept\)/);
      // Backdate every hit record and entry by 8 days: all are older than 7d now.
      const old = new Date(Date.now() - 8 * 86400000).toISOString();
      for (const f of readdirSync(path.join(cache.dir, 'entries'))) {
        const file = path.join(cache.dir, 'entries', f);
        const e = JSON.parse(readFileSync(file, 'utf8'));
        rmSync(file);
        writeFileSync(file, JSON.stringify({ ...e, created: old }));
      }
      const gone = A.strata(['cache', 'prune', '--remote', spec, '--older-than', '7d']);
      assert.equal(gone.status, 0, gone.stderr);
      assert.match(gone.stdout, /removed 5 cache entries \(0 kept\) and 4 blobs/);
      assert.deepEqual(readdirSync(path.join(cache.dir, 'entries')), []);
      assert.deepEqual(readdirSync(path.join(cache.dir, 'blobs', 'sha256')), []);
    });
  });
});
