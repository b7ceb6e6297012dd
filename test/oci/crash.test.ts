import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildImage, LocalStore, storeLayerTar, writeLayerTar } from '@strata/oci';
import { repoRoot } from './busybox.js';

const bin = path.join(repoRoot(), 'packages', 'cli', 'dist', 'src', 'bin.js');

/** DESIGN §4: a strata killed at any instant leaves nothing that is trusted half-written. */
describe('oci store survives SIGKILL during load and import', function () {
  this.timeout(300000);
  let src: string;
  let work: string;
  before(async () => {
    src = mkdtempSync(path.join(os.tmpdir(), 'strata-crash-src-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'strata-crash-work-'));
    const store = new LocalStore(src);
    try {
      const layers = [];
      for (let i = 0; i < 3; i++) {
        const data = randomBytes(8 << 20);
        const l = await storeLayerTar(store.content, writeLayerTar([{ path: `blob${i}`, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtimeNs: 0n, open: () => Readable.from([data]) }]));
        layers.push({ layer: l.layer });
      }
      await store.save(await buildImage({ layers }), ['big:1']);
    } finally {
      store.close();
    }
    const r = spawnSync(process.execPath, [bin, 'save', '--format', 'oci', '-o', path.join(work, 'big.tar'), 'big:1'], { env: { ...process.env, STRATA_ROOT: src }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => {
    rmSync(src, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  for (const [what, args] of [['load', ['load', '-i']], ['import', ['import']]] as const) {
    it(`${what}: killed at points through the run, fsck stays clean and names only whole images`, async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'strata-crash-'));
      const env = { ...process.env, STRATA_ROOT: root };
      const file = path.join(work, 'big.tar');
      const cmd = what === 'load' ? [...args, file] : [...args, file, 'imported:1'];
      // Kill at fractions of how long a whole run takes on this machine right now.
      const scratch = mkdtempSync(path.join(os.tmpdir(), 'strata-crash-t-'));
      const t0 = Date.now();
      spawnSync(process.execPath, [bin, ...cmd], { env: { ...process.env, STRATA_ROOT: scratch } });
      const full = Date.now() - t0;
      rmSync(scratch, { recursive: true, force: true });
      const delays = [0.35, 0.55, 0.75, 0.9].map((f) => Math.round(f * full));
      let progress = 0;
      try {
        for (const ms of delays) {
          const p = spawn(process.execPath, [bin, ...cmd], { env, stdio: 'ignore' });
          const exited = new Promise((r) => p.on('exit', r));
          await new Promise((r) => setTimeout(r, ms));
          p.kill('SIGKILL');
          await exited;
          const f = spawnSync(process.execPath, [bin, 'fsck'], { env, encoding: 'utf8' });
          assert.equal(f.status, 0, `after kill at ${ms} ms: ${f.stdout}${f.stderr}`);
          if (existsSync(path.join(root, 'tmp'))) progress += readdirSync(path.join(root, 'tmp')).length + readdirSync(path.join(root, 'blobs', 'sha256')).length;
        }
        // The kills must have landed mid-work at least once, or this test proves nothing.
        assert.ok(progress > 0, 'no kill interrupted any writing');
        const done = spawnSync(process.execPath, [bin, ...cmd], { env, encoding: 'utf8' });
        assert.equal(done.status, 0, done.stderr);
        const f = spawnSync(process.execPath, [bin, 'fsck'], { env, encoding: 'utf8' });
        assert.equal(f.status, 0, f.stdout);
        assert.match(f.stdout, /1 images checked, 0 problems/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
