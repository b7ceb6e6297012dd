import { strict as assert } from 'node:assert';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Executor, launcherPath } from '../src/index.js';
import { listTree, makeBusyboxRootfs, mountsUnder, processesIn, removeTree, runCollect } from './fixture.js';

for (const variant of ['release', 'asan'] as const) {
  describe(`executor isolation (${variant} launcher)`, () => {
    let rootfs: string;
    let ex: Executor;
    before(() => { rootfs = makeBusyboxRootfs(); ex = new Executor({ launcher: launcherPath(variant) }); });
    after(() => removeTree(rootfs));

    it('sees only its own processes, as PID 1 and its child', async () => {
      const r = await runCollect(ex, { rootfs, argv: ['sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "; echo; echo $$'] });
      assert.equal(r.exitCode, 0, r.err.join('\n'));
      const pids = r.out[0]!.trim().split(' ').map(Number);
      assert.ok(pids.includes(1) && pids.every((p) => p < 10), `pids: ${r.out[0]}`);
      assert.equal(r.out[1], '2');
    });

    it('has its own hostname, /etc/hostname and /etc/hosts', async () => {
      const r = await runCollect(ex, { rootfs, hostname: 'stepbox', argv: ['sh', '-c', 'hostname; cat /etc/hostname; grep stepbox /etc/hosts; grep -c localhost /etc/hosts'] });
      assert.deepEqual(r.out.slice(0, 2), ['stepbox', 'stepbox']);
      assert.match(r.out[2]!, /^127\.0\.1\.1\s+stepbox$/);
      assert.ok(Number(r.out[3]) >= 2);
    });

    it('has only loopback, up, under network none; the host interfaces under host', async () => {
      const none = await runCollect(ex, { rootfs, network: 'none', argv: ['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/operstate; ip -o addr show lo'] });
      assert.equal(none.out[0], 'lo');
      assert.ok(none.out.some((l) => /inet 127\.0\.0\.1/.test(l)), none.out.join('\n'));
      const host = await runCollect(ex, { rootfs, network: 'host', argv: ['sh', '-c', 'hostname; ls /sys/class/net'] });
      assert.equal(host.out[0], os.hostname());
      assert.deepEqual(host.out.slice(1).sort(), readdirSync('/sys/class/net').sort());
    });

    it('sees its own mounts and none of the host paths', async () => {
      const r = await runCollect(ex, { rootfs, argv: ['cat', '/proc/mounts'] });
      const points = r.out.map((l) => l.split(' ')[1]);
      for (const p of ['/', '/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname']) assert.ok(points.includes(p), `${p} in ${points}`);
      assert.ok(!points.some((p) => p!.startsWith('/work') || p!.startsWith(rootfs)), points.join(' '));
    });

    it('cannot write outside its rootfs; /proc/sys and /sys are read-only', async () => {
      const marker = `escape-${process.pid}-${variant}`;
      const r = await runCollect(ex, { rootfs, argv: ['sh', '-c', `echo x > /../../../tmp/${marker}; echo 1 > /proc/sys/kernel/domainname || echo procsys-ro; touch /sys/x 2>/dev/null || echo sys-ro; cat /proc/self/status | grep -E "^(CapEff|NoNewPrivs)"; umask`] });
      assert.ok(!existsSync(`/tmp/${marker}`), 'wrote to the host /tmp');
      assert.ok(existsSync(`${rootfs}/tmp/${marker}`));
      assert.ok(r.out.includes('procsys-ro') && r.out.includes('sys-ro'), r.out.join('\n'));
      assert.ok(r.out.includes('CapEff:\t00000000a80425fb'), r.out.join('\n'));
      assert.ok(r.out.includes('NoNewPrivs:\t1'));
      assert.ok(r.out.includes('0022'));
    });

    it('has a minimal /dev', async () => {
      const r = await runCollect(ex, { rootfs, argv: ['sh', '-c', 'ls /dev | tr "\\n" " "; echo; head -c 4 /dev/urandom | wc -c; readlink /dev/stdout; echo ok > /dev/null && echo null-ok'] });
      for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx', 'pts', 'shm', 'fd', 'stdin', 'stdout', 'stderr']) assert.match(r.out[0]!, new RegExp(`\\b${d}\\b`));
      assert.equal(r.out[1]!.trim(), '4');
      assert.equal(r.out[2], '/proc/self/fd/1');
      assert.equal(r.out[3], 'null-ok');
    });

    it('leaves the rootfs as it found it (mount points it created are removed)', async () => {
      const before = listTree(rootfs).filter((p) => !p.startsWith('tmp/'));
      const r = await runCollect(ex, { rootfs, cwd: '/', argv: ['true'], mounts: [{ type: 'tmpfs', target: '/new/deep/dir' }, { type: 'tmpfs', target: '//other//./dir/' }] });
      assert.equal(r.exitCode, 0);
      assert.deepEqual(listTree(rootfs).filter((p) => !p.startsWith('tmp/')), before);
      assert.deepEqual(processesIn(rootfs), []);
      assert.deepEqual(mountsUnder(rootfs), []);
    });

    it('returns exit codes and 128+n for signals', async () => {
      assert.equal((await runCollect(ex, { rootfs, argv: ['sh', '-c', 'exit 3'] })).exitCode, 3);
      const s = await runCollect(ex, { rootfs, argv: ['sh', '-c', 'kill -TERM $$'] });
      assert.equal(s.exitCode, 143);
      assert.equal(s.signal, 'SIGTERM');
    });

    it('reaps orphaned zombies', async () => {
      // The inner shell exits at once; its background children are reparented to PID 1 and must be reaped
      // (a zombie keeps its /proc entry).
      const script = 'pids=$(sh -c "sleep 0.1 & echo \\$!; sleep 0.1 & echo \\$!"); sleep 0.6; for p in $pids; do [ -e /proc/$p ] && echo "left $p"; done; echo checked $pids';
      const r = await runCollect(ex, { rootfs, argv: ['sh', '-c', script] });
      assert.match(r.out.at(-1)!, /^checked \d+ \d+$/);
      assert.deepEqual(r.out.slice(0, -1), []);
    });

    it('sets USER, its groups, HOME and a default PATH', async () => {
      const t = await runCollect(ex, { rootfs, user: 'tester', argv: ['sh', '-c', 'id -u; id -g; id -G; echo $HOME; echo $PATH; grep CapEff /proc/self/status'] });
      assert.deepEqual(t.out.slice(0, 5), ['1000', '1000', '1000 2000 2001', '/home/tester', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
      assert.equal(t.out[5], 'CapEff:\t0000000000000000');
      const g = await runCollect(ex, { rootfs, user: '1000:2000', argv: ['sh', '-c', 'id -u; id -g; id -G'] });
      assert.deepEqual(g.out, ['1000', '2000', '2000']);
      const n = await runCollect(ex, { rootfs, user: '4242', argv: ['sh', '-c', 'id -u; id -g; echo $HOME'] });
      assert.deepEqual(n.out, ['4242', '0', '/']);
      const h = await runCollect(ex, { rootfs, user: 'nobody', env: ['HOME=/x'], argv: ['sh', '-c', 'echo $HOME'] });
      assert.deepEqual(h.out, ['/x']);
    });

    it('runs in the working directory, creating it when missing, with stdin and env', async () => {
      const r = await runCollect(ex, { rootfs, cwd: '/work/dir', env: ['A=b c'], stdin: 'from-stdin\n', argv: ['sh', '-c', 'pwd; echo "$A"; cat'] });
      assert.deepEqual(r.out, ['/work/dir', 'b c', 'from-stdin']);
      assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').length > 0);
    });
  });
}
