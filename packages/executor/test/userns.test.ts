import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launcherPath } from '../src/index.js';
import { encodeSpec, parseResult, type LaunchSpec } from '../src/launcher.js';
import { makeBusyboxRootfs, processesIn, removeTree } from './fixture.js';

// strata not running as root: the launcher adds a user namespace mapping the caller to root inside.
describe('launcher without root (user namespace)', () => {
  let rootfs: string;
  let dir: string;
  before(() => {
    rootfs = makeBusyboxRootfs();
    execFileSync('chown', ['-R', '65534:65534', rootfs]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'strata-exec-userns-'));
    execFileSync('chmod', ['755', dir]);
  });
  after(() => { removeTree(rootfs); removeTree(dir); });

  function runAsNobody(spec: Partial<LaunchSpec>, variant: 'release' | 'asan' = 'release') {
    const full: LaunchSpec = { rootfs, argv: ['true'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, groups: [], hostname: 'rootless', network: 'none', mounts: [], ...spec };
    const file = path.join(dir, `spec-${Math.random().toString(16).slice(2)}`);
    writeFileSync(file, encodeSpec(full), { mode: 0o644 });
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', launcherPath(variant), '--spec', file, '--result-fd', '3'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    return { status: r.status, stdout: r.stdout, result: parseResult(String(r.output[3] ?? '')) };
  }

  for (const variant of ['release', 'asan'] as const) {
    it(`maps the caller to root, with its own namespaces (${variant})`, () => {
      const r = runAsNobody({ argv: ['sh', '-c', 'id -u; cat /proc/self/uid_map | tr -s " "; hostname; ls /sys/class/net; ls /proc | grep -cE "^[0-9]+$"'] }, variant);
      assert.equal(r.status, 0, JSON.stringify(r));
      const lines = r.stdout.split('\n');
      assert.equal(lines[0], '0');
      assert.equal(lines[1]!.trim(), '0 65534 1');
      assert.deepEqual(lines.slice(2, 4), ['rootless', 'lo']);
      assert.equal(r.result.get('exit'), '0');
      assert.deepEqual(processesIn(rootfs), []);
    });
  }

  it('shows the host network read-only under network host', () => {
    const r = runAsNobody({ network: 'host', argv: ['sh', '-c', 'ls /sys/class/net | wc -l; touch /sys/x || echo ro'] });
    assert.equal(r.status, 0, JSON.stringify(r));
    assert.deepEqual(r.stdout.trim().split('\n'), [String(execFileSync('ls', ['/sys/class/net'], { encoding: 'utf8' }).trim().split('\n').length), 'ro']);
  });

  it('refuses resource limits without root in one line', () => {
    const r = runAsNobody({ pids: 10, cgroup: 'x' });
    assert.equal(r.status, 125);
    assert.equal(r.result.get('error'), 'resource limits need root and a cgroup name');
  });
});
