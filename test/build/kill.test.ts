import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BuildEnv } from './support.js';

/** Mount points under `dir` (from this process's mount table). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir + '/'));
}

// A build killed with SIGKILL at any instant leaves a store the next build trusts only after checking.
describe('strata build: killed at random moments (e2e)', function () {
  this.timeout(300_000);
  let env: BuildEnv;
  before(() => (env = new BuildEnv()));
  after(() => env.cleanup());

  it('20 SIGKILLs, then a build that succeeds and a clean fsck', async () => {
    const files: Record<string, string> = { Dockerfile: '' };
    for (let i = 0; i < 200; i++) files[`src/f${i}.txt`] = `file ${i}\n`.repeat(50);
    files.Dockerfile = [
      'FROM busybox',
      'RUN for i in 1 2 3 4 5 6 7 8 9 10; do dd if=/dev/urandom of=/r$i bs=64k count=4 2>/dev/null; done',
      'COPY src/ /src/',
      'RUN cat /src/* | md5sum > /sum && sleep 0.2',
      'RUN rm /r1 /r2 && echo done > /done',
      '',
    ].join('\n');
    const dir = env.context('killme', files);
    // Deterministic "random" delays spread over the whole build (seeded so a failure can be replayed).
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 20; i++) {
      const p = env.spawn(['build', '--progress', 'plain', '--no-cache', '-t', 'killed:latest', dir]);
      // Listen before killing: a build that finished first has already exited.
      const exited = new Promise((r) => p.once('exit', r));
      const delay = Math.floor(rnd() * 2500);
      await new Promise((r) => setTimeout(r, delay));
      p.kill('SIGKILL');
      await exited;
    }
    const ok = env.strata(['build', '--progress', 'plain', '-t', 'survivor:latest', dir]);
    assert.equal(ok.status, 0, ok.stderr);
    const run = env.strata(['run', 'survivor:latest', 'cat', '/done']);
    assert.equal(run.stdout, 'done\n', run.stderr);
    const fsck = env.strata(['fsck']);
    assert.equal(fsck.status, 0, `fsck: ${fsck.stdout}${fsck.stderr}`);
    assert.deepEqual(mountsUnder(env.root), [], 'no mount left behind under the state root');
  });

  it('the next build unmounts and removes a dead process\'s scratch mounts, and leaves a live one\'s alone', () => {
    const dead = spawnSync('true');
    const deadDir = path.join(env.root, 'tmp', `step-${dead.pid}-leftover`);
    const liveDir = path.join(env.root, 'tmp', `step-${process.pid}-inuse`);
    for (const d of [deadDir, liveDir]) {
      mkdirSync(d, { recursive: true });
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', d]).status, 0);
    }
    try {
      const dir = env.context('reap', { Dockerfile: 'FROM busybox\nRUN echo reaped > /r\n' });
      const log = env.build(dir);
      assert.match(log, /cleaned \d+ leftovers of killed strata processes/);
      assert.equal(existsSync(deadDir), false);
      assert.deepEqual(mountsUnder(env.root), [liveDir], 'only the live process\'s mount remains');
    } finally {
      spawnSync('umount', ['-l', liveDir]);
      spawnSync('umount', ['-l', deadDir]);
    }
  });
});
