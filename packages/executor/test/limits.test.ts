import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Executor, StepAbortedError, launcherPath } from '../src/index.js';
import { makeBusyboxRootfs, mountsUnder, processesIn, removeTree, runCollect } from './fixture.js';

/** Our own step cgroups in every v1 hierarchy (or v2): none may outlive a step. */
function strataCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(`strata-${process.pid}-`)) found.push(`${dir}/${e.name}`);
      else walk(`${dir}/${e.name}`, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}

for (const variant of ['release', 'asan'] as const) {
  describe(`executor limits and ending (${variant} launcher)`, () => {
    let rootfs: string;
    let ex: Executor;
    before(() => { rootfs = makeBusyboxRootfs(); ex = new Executor({ launcher: launcherPath(variant) }); });
    after(() => removeTree(rootfs));
    afterEach(() => {
      assert.deepEqual(processesIn(rootfs), [], 'a process of the step survived');
      assert.deepEqual(mountsUnder(rootfs), [], 'a mount of the step survived');
      assert.deepEqual(strataCgroups(), [], 'a cgroup of the step survived');
    });

    it('ends a fork bomb under a pids limit and reports the limit', async () => {
      const r = await runCollect(ex, { rootfs, limits: { pids: 40 }, timeoutMs: 3000, argv: ['sh', '-c', 'b() { b | b & }; b; sleep 30'] });
      assert.ok(r.pidsLimitHit, JSON.stringify(r));
      assert.ok(r.timedOut || r.exitCode !== 0);
    });

    it('ends a memory hog under a memory limit and reports the OOM kill', async () => {
      const r = await runCollect(ex, { rootfs, limits: { memoryBytes: 32 << 20 }, argv: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'] });
      assert.equal(r.signal, 'SIGKILL', JSON.stringify(r));
      assert.equal(r.exitCode, 137);
      assert.ok(r.oomKilled);
      assert.ok(r.usage.memoryPeakBytes > 16 << 20 && r.usage.memoryPeakBytes <= 33 << 20, String(r.usage.memoryPeakBytes));
    });

    it('applies a cpu quota and reports cpu time', async () => {
      const r = await runCollect(ex, { rootfs, limits: { cpus: 0.2 }, argv: ['sh', '-c', 'timeout 1 sh -c "while :; do :; done"; true'] });
      assert.equal(r.exitCode, 0);
      // One second of a busy loop at 20% of a CPU: well under half a second of CPU time.
      assert.ok(r.usage.cpuNs > 50e6 && r.usage.cpuNs < 500e6, String(r.usage.cpuNs));
    });

    it('an aborted step leaves no process behind', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const started = Date.now();
      await assert.rejects(ex.run({ rootfs, stdin: 'ignore', stdout: 'ignore', argv: ['sh', '-c', 'sleep 100 & (sleep 100 &) ; trap "" TERM; sleep 100'] }, ac.signal), StepAbortedError);
      assert.ok(Date.now() - started < 5000);
    });

    it('a timed-out step is killed and says so', async () => {
      const r = await runCollect(ex, { rootfs, timeoutMs: 200, argv: ['sh', '-c', 'sleep 100 & sleep 100'] });
      assert.ok(r.timedOut);
      assert.equal(r.signal, 'SIGKILL');
    });

    it('forwards signals to the command when the launcher gets them', async () => {
      const ac = new AbortController();
      const lines: string[] = [];
      const p = ex.run({ rootfs, stdin: 'ignore', stdout: (l) => lines.push(l), argv: ['sh', '-c', 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.05; done'] }, ac.signal);
      while (!lines.includes('ready')) await new Promise((r) => setTimeout(r, 20));
      // The launcher is this process's only child running strata-launch right now.
      const launcher = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).find((n) => {
        try {
          const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(process.pid) && readFileSync(`/proc/${n}/cmdline`, 'utf8').includes('strata-launch');
        } catch { return false; }
      });
      assert.ok(launcher, 'launcher process not found');
      process.kill(Number(launcher), 'SIGUSR1');
      const r = await p;
      assert.equal(r.exitCode, 7);
      assert.ok(lines.includes('got-usr1'));
    });
  });
}
