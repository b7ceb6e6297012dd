import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launcherPath } from '../src/index.js';
import { encodeSpec, parseResult, type LaunchSpec } from '../src/launcher.js';
import { makeBusyboxRootfs, processesIn, removeTree } from './fixture.js';

const fsType = (p: string) => { try { return execFileSync('stat', ['-fc', '%T', p], { encoding: 'utf8' }).trim(); } catch { return ''; } };

/**
 * The cgroup v2 code path. On a v2 host it runs as is; on a hybrid host (this one: v1 controllers plus a
 * cgroup2 mount at /sys/fs/cgroup/unified) the launcher runs in a private mount namespace where that cgroup2
 * mount is bound over /sys/fs/cgroup, so it sees a v2 hierarchy (whose controllers stay with v1).
 */
describe('launcher on cgroup v2', () => {
  const direct = fsType('/sys/fs/cgroup') === 'cgroup2fs';
  const hybrid = !direct && fsType('/sys/fs/cgroup/unified') === 'cgroup2fs';
  let rootfs: string;
  let dir: string;
  before(function () {
    if (!direct && !hybrid) this.skip(); // no cgroup2 hierarchy mounted on this machine
    rootfs = makeBusyboxRootfs();
    dir = mkdtempSync(path.join(os.tmpdir(), 'strata-exec-v2-'));
  });
  after(() => { if (rootfs) { removeTree(rootfs); removeTree(dir); } });

  function launch(spec: Partial<LaunchSpec>, after = '') {
    const full: LaunchSpec = { rootfs, argv: ['true'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, groups: [0], hostname: 'v2', network: 'none', mounts: [], ...spec };
    const file = path.join(dir, `spec-${Math.random().toString(16).slice(2)}`);
    writeFileSync(file, encodeSpec(full));
    const cmd = `${hybrid ? 'mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && ' : ''}${launcherPath('asan')} --spec ${file} --result-fd 3 3>${file}.out; echo "rc=$?"; ${after}`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', cmd], { encoding: 'utf8' });
    const res = parseResult(execFileSync('cat', [`${file}.out`], { encoding: 'utf8' }));
    return { stdout: r.stdout, stderr: r.stderr, res };
  }

  it('puts the step in its own cgroup, accounts its CPU and leaves no process or cgroup', () => {
    const name = `strata-${process.pid}-v2`;
    const r = launch({ cgroup: name, argv: ['sh', '-c', 'cat /proc/self/cgroup; (sleep 30 &); i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done'] },
      `ls /sys/fs/cgroup | grep -c ${name} || true`);
    assert.equal(r.res.get('exit'), '0', JSON.stringify(r));
    // The step sees its cgroup namespace root as "/".
    assert.match(r.stdout, /^0::\/\n/m);
    assert.ok(Number(r.res.get('cpu_ns')) > 1e6, JSON.stringify(r.res));
    assert.match(r.stdout, /rc=0\n0\n$/);
    assert.deepEqual(processesIn(rootfs), []);
  });

  it('applies a pids limit, or says which controller is missing', () => {
    const controllers = direct ? execFileSync('cat', ['/sys/fs/cgroup/cgroup.controllers'], { encoding: 'utf8' }) : execFileSync('cat', ['/sys/fs/cgroup/unified/cgroup.controllers'], { encoding: 'utf8' });
    if (controllers.includes('pids')) {
      const ok = launch({ cgroup: `strata-${process.pid}-v2c`, pids: 5, argv: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait'] });
      assert.ok(Number(ok.res.get('pids_limited')) > 0, JSON.stringify(ok.res));
      return;
    }
    const r = launch({ cgroup: `strata-${process.pid}-v2b`, pids: 5 });
    assert.match(r.res.get('error') ?? '', /^cgroup v2 controller pids is not available in \/sys\/fs\/cgroup$/);
    assert.deepEqual(readdirSync('/sys/fs/cgroup/unified').filter((n) => n.startsWith(`strata-${process.pid}`)), []);
  });
});
