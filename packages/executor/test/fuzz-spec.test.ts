import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launcherPath } from '../src/index.js';
import { listTree, makeBusyboxRootfs, mountsUnder, processesIn, removeTree } from './fixture.js';

// Hostile launch specs into the ASan/UBSan launcher: it must fail in one line (exit 125) or run, never crash.
describe('launcher spec parsing under ASan/UBSan', () => {
  let rootfs: string;
  let dir: string;
  before(() => { rootfs = makeBusyboxRootfs(); dir = mkdtempSync(path.join(os.tmpdir(), 'strata-exec-fuzz-')); });
  after(() => { removeTree(rootfs); removeTree(dir); });

  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const keys = ['arg', 'env', 'cwd', 'uid', 'gid', 'group', 'hostname', 'net', 'mount', 'src', 'dst', 'ro', 'data', 'memory', 'pids', 'cpu', 'cgroup', 'bogus', ''];
  const values = ['', '/', '/tmp', '/../..', 'bind', 'tmpfs', 'overlay', 'none', 'host', '0', '1', '-1', '99999999999999999999', 'x'.repeat(5000), '=', '==', 'size=1k', '../../etc', 'a,b:c', '\u00ff\u0001'];
  const cases: Buffer[] = [Buffer.alloc(0), Buffer.from('rootfs'), Buffer.from('rootfs='), Buffer.from('\0\0\0'), Buffer.from('=\0')];
  for (let i = 0; i < 60; i++) {
    let s = 'rootfs=ROOT\0arg=true\0';
    const n = rand(8);
    for (let j = 0; j < n; j++) s += `${keys[rand(keys.length)]}=${values[rand(values.length)]}${rand(10) === 0 ? '' : '\0'}`;
    if (rand(4) === 0) s = s.slice(0, rand(s.length));
    cases.push(Buffer.from(s, 'latin1'));
  }

  it('fails cleanly or runs on every generated spec', function () {
    this.timeout(300000);
    const before = listTree(rootfs).filter((p) => !p.startsWith('tmp'));
    for (const [i, c] of cases.entries()) {
      const file = path.join(dir, `spec${i}`);
      writeFileSync(file, Buffer.from(c.toString('latin1').replaceAll('ROOT', rootfs), 'latin1'));
      const r = spawnSync(launcherPath('asan'), ['--spec', file], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      assert.doesNotMatch(r.stderr, /AddressSanitizer|runtime error|LeakSanitizer/, `case ${i}: ${r.stderr}`);
      assert.ok(r.status !== null, `case ${i} died of ${r.signal}`);
      if (r.status === 125) assert.match(r.stderr, /^strata-launch: [^\n]+\n$/, `case ${i}: ${r.stderr}`);
    }
    assert.deepEqual(processesIn(rootfs), []);
    assert.deepEqual(mountsUnder(rootfs), []);
    assert.deepEqual(listTree(rootfs).filter((p) => !p.startsWith('tmp')), before);
  });
});
