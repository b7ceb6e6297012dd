import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Union } from './union-fixture.js';

/** Runs a shell script and resolves with its exit code. */
function sh(script: string): Promise<number | null> {
  return new Promise((resolve) => spawn('sh', ['-c', script], { stdio: 'ignore' }).on('exit', (code) => resolve(code)));
}

// Parallel writers against the worker-pool mode of the ASan/UBSan build: races in the node table or the
// copy-up paths show up as sanitizer reports or wrong contents.
describe('strata-unionfs under parallel load (threaded=1, ASan/UBSan)', () => {
  let u: Union;
  beforeEach(() => {
    u = new Union(2);
    u.sanitized = true;
    for (let i = 0; i < 4; i++) {
      fs.mkdirSync(u.l(1, `d${i}`));
      for (let k = 0; k < 50; k++) fs.writeFileSync(u.l(1, `d${i}`, `f${k}`), `lower ${i} ${k}\n`);
    }
  });
  afterEach(async () => {
    await u.dispose();
    assert.doesNotMatch(u.stderr, /AddressSanitizer|runtime error|LeakSanitizer|exit status/, u.stderr);
  });

  it('keeps every writer’s result', async function () {
    this.timeout(120000);
    await u.mountUnionfs(['threaded=1']);
    const jobs = [0, 1, 2, 3].map((i) => sh(`
      cd ${u.m(`d${i}`)} || exit 1
      for k in $(seq 0 49); do echo more >> f$k; done
      for k in $(seq 0 49); do echo new > n$k; ln n$k h$k; done
      for k in $(seq 0 24); do rm f$k; mv n$k m$k; done
      mkdir sub && for k in $(seq 0 19); do echo s > sub/s$k; done
      ls -la . sub > /dev/null; cat f30 h3 > /dev/null
    `));
    assert.deepEqual(await Promise.all(jobs), [0, 0, 0, 0]);
    for (let i = 0; i < 4; i++) {
      const names = fs.readdirSync(u.m(`d${i}`));
      assert.equal(names.length, 25 + 50 + 50 + 1, `d${i}`);
      assert.equal(fs.readFileSync(u.m(`d${i}`, 'f30'), 'utf8'), `lower ${i} 30\nmore\n`);
      assert.equal(fs.readFileSync(u.m(`d${i}`, 'm3'), 'utf8'), 'new\n');
      assert.equal(fs.statSync(u.m(`d${i}`, 'h3')).ino, fs.statSync(u.m(`d${i}`, 'm3')).ino);
      assert.equal(fs.lstatSync(u.u(`d${i}`, 'f3')).rdev, 0);
      assert.ok(fs.lstatSync(u.u(`d${i}`, 'f3')).isCharacterDevice());
    }
  });
});
