import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Executor, ExecutorError, StepAbortedError, launcherPath, zygotePath } from '../src/index.js';
import { makeBusyboxRootfs, mountsUnder, processesIn, removeTree, runCollect } from './fixture.js';

const executorIndex = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.js');

/** Host processes running the given zygote binary. */
function zygotes(binary: string): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
    try {
      return readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0')[0] === binary ? [Number(n)] : [];
    } catch {
      return [];
    }
  });
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('zygote request parsing under ASan/UBSan', () => {
  it('ends cleanly (or starts what it was asked to) on random and malformed requests, never crashing', function () {
    this.timeout(60000);
    const bad = ['', 'R\n', 'R x y\n', 'K\n', 'K 99999999999999999999999\n', 'Z 1 2\n', 'R 1 999999999999\n', 'x'.repeat(100),
      'R 1 5\nab', 'R 2 0\n', `R 3 4\n${'\0'.repeat(4)}`, 'K 1\nK 1\nK 2\n'];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 40; i++) bad.push(Buffer.from(Array.from({ length: rnd() % 200 }, () => rnd() % 256)).toString('latin1'));
    for (const input of bad) {
      // The launcher given is `false`: whatever gets started ends at once with nothing to report.
      const r = spawnSync(zygotePath('asan'), ['/bin/false'], { input: Buffer.from(input, 'latin1'), encoding: 'latin1', timeout: 20000 });
      assert.ok(r.status === 0 || r.status === 2, `exit ${r.status} ${r.signal ?? ''} on ${JSON.stringify(input)}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/, JSON.stringify(input));
    }
  });
});

for (const variant of ['release', 'asan'] as const) {
  describe(`executor through the zygote (${variant})`, () => {
    let rootfs: string;
    let ex: Executor;
    before(() => {
      rootfs = makeBusyboxRootfs();
      // Steps run at once on this one rootfs: with every mount target present, none creates (and removes) a stub.
      for (const d of ['proc', 'sys', 'dev']) mkdirSync(path.join(rootfs, d));
      for (const f of ['hosts', 'resolv.conf', 'hostname']) writeFileSync(path.join(rootfs, 'etc', f), '');
      ex = new Executor({ zygote: true, zygoteBinary: zygotePath(variant), launcher: launcherPath(variant) });
    });
    after(() => removeTree(rootfs));
    afterEach(() => {
      assert.deepEqual(processesIn(rootfs), [], 'a process of the step survived');
      assert.deepEqual(mountsUnder(rootfs), [], 'a mount of the step survived');
    });

    it('delivers stdout and stderr lines, exit codes and signals', async () => {
      const r = await runCollect(ex, { rootfs, argv: ['sh', '-c', 'echo one; echo two >&2; printf last; exit 3'] });
      assert.deepEqual([r.out, r.err, r.exitCode], [['one', 'last'], ['two'], 3]);
      const k = await runCollect(ex, { rootfs, argv: ['sh', '-c', 'kill -9 $$'] });
      assert.deepEqual([k.exitCode, k.signal], [137, 'SIGKILL']);
    });

    it('keeps large output whole and apart for steps running at once', async () => {
      const runs = await Promise.all([1, 2, 3, 4, 5].map((n) =>
        runCollect(ex, { rootfs, argv: ['sh', '-c', `i=0; while [ $i -lt 3000 ]; do echo "${n}-$i-................................................................"; i=$((i+1)); done`] })));
      runs.forEach((r, i) => {
        assert.equal(r.out.length, 3000);
        assert.ok(r.out.every((l, j) => l.startsWith(`${i + 1}-${j}-`)), `step ${i + 1} got a foreign or torn line`);
      });
    });

    it('reports what the launcher could not do as it does without the zygote', async () => {
      await assert.rejects(runCollect(ex, { rootfs, argv: ['no-such-tool'] }), (e: unknown) =>
        e instanceof ExecutorError && /^cannot run no-such-tool: executable file not found in \$PATH$/.test(e.message));
    });

    it('aborts and times out steps, leaving no process', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      await assert.rejects(runCollect(ex, { rootfs, argv: ['sh', '-c', 'sleep 100 & trap "" TERM; sleep 100'] }, ac.signal), StepAbortedError);
      const r = await runCollect(ex, { rootfs, timeoutMs: 200, argv: ['sh', '-c', 'sleep 100 & sleep 100'] });
      assert.deepEqual([r.timedOut, r.signal], [true, 'SIGKILL']);
    });

    it('a step with stdin to feed still runs (without the zygote)', async () => {
      const r = await runCollect(ex, { rootfs, stdin: 'fed\n', argv: ['cat'] });
      assert.deepEqual(r.out, ['fed']);
    });

    it('when Node is killed mid-step, the step and the zygote end too', async function () {
      this.timeout(20000);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-zygote-'));
      try {
        const script = path.join(dir, 'run.mjs');
        writeFileSync(script, [
          `import { Executor } from ${JSON.stringify(executorIndex)};`,
          `const ex = new Executor({ zygote: true, zygoteBinary: ${JSON.stringify(zygotePath(variant))}, launcher: ${JSON.stringify(launcherPath(variant))} });`,
          `ex.run({ rootfs: ${JSON.stringify(rootfs)}, stdin: 'ignore', stdout: (l) => console.log(l), stderr: () => {}, argv: ['sh', '-c', 'echo started; sleep 100'] });`,
        ].join('\n'));
        const node = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve) => node.stdout.on('data', (d: Buffer) => { if (d.toString().includes('started')) resolve(); }));
        assert.equal(zygotes(zygotePath(variant)).length > 0, true);
        node.kill('SIGKILL');
        await until('the step is gone', () => processesIn(rootfs).length === 0);
        await until('its zygote is gone', () => zygotes(zygotePath(variant)).every((pid) => {
          // Only this test's zygote is a child of the killed Node; others (this process's) stay.
          try {
            return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] !== String(node.pid);
          } catch {
            return true;
          }
        }));
      } finally {
        removeTree(dir);
      }
    });
  });
}
