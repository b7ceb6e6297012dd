import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { oci } from '@strata/builder';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin.js');

/** Builds a one-layer busybox image straight into the local store under `root`. */
async function busyboxImage(root: string, name: string): Promise<void> {
  const tree = mkdtempSync(path.join(os.tmpdir(), 'strata-run-img-'));
  try {
    chmodSync(tree, 0o755);
    for (const d of ['bin', 'etc', 'tmp', 'home/tester']) mkdirSync(path.join(tree, d), { recursive: true });
    copyFileSync('/bin/busybox', path.join(tree, 'bin/busybox'));
    chmodSync(path.join(tree, 'bin/busybox'), 0o755);
    for (const a of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n')) if (a && a !== 'busybox') symlinkSync('busybox', path.join(tree, 'bin', a));
    writeFileSync(path.join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n');
    writeFileSync(path.join(tree, 'etc/group'), 'root:x:0:\ntester:x:1000:\nextra:x:2000:tester\n');
    chmodSync(path.join(tree, 'tmp'), 0o1777);
    const tar = spawn('tar', ['-C', tree, '--numeric-owner', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const store = new oci.LocalStore(root);
    const stored = await oci.storeLayerTar(store.content, tar.stdout!);
    const img = await oci.buildImage({
      layers: [{ layer: stored.layer }],
      config: { config: { Env: ['PATH=/bin', 'FROM_IMAGE=yes'], Cmd: ['sh', '-c', 'echo default-cmd'], WorkingDir: '/home/tester' } },
    });
    await store.save(img, [name]);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

describe('strata run', () => {
  let root: string;
  const strata = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root } });
  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-run-root-'));
    await busyboxImage(root, 'bbtest:1');
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  afterEach(() => {
    const tmp = path.join(root, 'tmp');
    assert.deepEqual(existsSync(tmp) ? readdirSync(tmp).filter((n) => n.startsWith('run-')) : [], [], 'a run dir was left behind');
    const mounts = readFileSyncSafe('/proc/self/mountinfo').split('\n').filter((l) => l.includes(root));
    assert.deepEqual(mounts, [], 'a mount was left behind');
  });

  it('runs the image command by default, in its workdir with its env', () => {
    const r = strata('run', 'bbtest:1');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'default-cmd\n');
    const e = strata('run', '-e', 'EXTRA=1', 'bbtest:1', 'sh', '-c', 'pwd; echo $FROM_IMAGE $EXTRA; hostname | wc -c');
    assert.equal(e.stdout, '/home/tester\nyes 1\n13\n');
  });

  it('returns the command exit code and discards its writes', () => {
    const r = strata('run', 'bbtest:1', 'sh', '-c', 'echo x > /etc/written; exit 4');
    assert.equal(r.status, 4);
    const again = strata('run', 'bbtest:1', 'ls', '/etc/written');
    assert.notEqual(again.status, 0);
  });

  it('switches user, network and mounts', () => {
    const host = mkdtempSync(path.join(os.tmpdir(), 'strata-run-src-'));
    try {
      chmodSync(host, 0o755);
      writeFileSync(path.join(host, 'f'), 'hostfile\n');
      const r = strata('run', '--user', 'tester', '--network', 'none', '--mount', `type=bind,source=${host},target=/mnt`, '--mount', 'type=tmpfs,target=/scratch',
        'bbtest:1', 'sh', '-c', 'id -u; id -G; cat /mnt/f; ls /sys/class/net; touch /mnt/g || echo ro');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '1000\n1000 2000\nhostfile\nlo\nro\n');
      const h = strata('run', '--network', 'host', 'bbtest:1', 'ls', '/sys/class/net');
      assert.deepEqual(h.stdout.trim().split('\n').sort(), readdirSync('/sys/class/net').sort());
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('SIGTERM to strata kills the container and cleans up', async () => {
    const child = spawn(process.execPath, [bin, 'run', 'bbtest:1', 'sh', '-c', 'echo started; sleep 4321 & sleep 4321'], { env: { ...process.env, STRATA_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    while (!out.includes('started')) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 130);
    assert.ok(Date.now() - t0 < 10000);
    const leftovers = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
      try { return readFileSync(`/proc/${n}/cmdline`, 'utf8') === 'sleep\u00004321\u0000'; } catch { return false; }
    });
    assert.deepEqual(leftovers, []);
  });

  it('takes docker run\'s --entrypoint, -v (read-write reaches the host, :ro does not), -t and --rm', () => {
    const ep = strata('run', '--entrypoint', '/bin/echo', 'bbtest:1', 'via', 'entrypoint');
    assert.equal(ep.stdout, 'via entrypoint\n', ep.stderr);
    assert.equal(strata('run', '--entrypoint', '/bin/pwd', 'bbtest:1').stdout, '/home/tester\n', 'the image Cmd is dropped');
    assert.equal(strata('run', '--entrypoint', '', 'bbtest:1', 'echo', 'bare').stdout, 'bare\n');
    const host = mkdtempSync(path.join(os.tmpdir(), 'strata-run-vol-'));
    try {
      writeFileSync(path.join(host, 'in.txt'), 'from host\n');
      const rw = strata('run', '--rm', '-t', '-v', `${host}:/data`, 'bbtest:1', 'sh', '-c', 'cat /data/in.txt && echo out > /data/out.txt');
      assert.equal(rw.status, 0, rw.stderr);
      assert.equal(rw.stdout, 'from host\n');
      assert.equal(readFileSync(path.join(host, 'out.txt'), 'utf8'), 'out\n');
      const ro = strata('run', '-v', `${host}:/data:ro`, 'bbtest:1', 'sh', '-c', 'echo x > /data/ro.txt');
      assert.notEqual(ro.status, 0);
      assert.equal(existsSync(path.join(host, 'ro.txt')), false);
      for (const [arg, want] of [['data:/x', /named volumes need a daemon/], [`${host}:rel`, /not an absolute path in the container/], [`${host}:/x:rx`, /want SRC:DST\[:ro\]/]] as const) {
        const bad = strata('run', '-v', arg, 'bbtest:1', 'true');
        assert.equal(bad.status, 2, arg);
        assert.match(bad.stderr, want);
      }
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('--env-file as docker run reads it: KEY=VALUE and KEY lines, comments, -e after it wins', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-run-envfile-'));
    try {
      writeFileSync(path.join(dir, 'env.list'), '# comment\nA=1\n  B=two words\nPASSED\n\nC=x=y\n');
      const r = spawnSync(process.execPath, [bin, 'run', '--env-file', path.join(dir, 'env.list'), '-e', 'A=override', 'bbtest:1', 'sh', '-c', 'echo "$A|$B|$PASSED|$C"'],
        { encoding: 'utf8', env: { ...process.env, STRATA_ROOT: root, PASSED: 'from-caller' } });
      assert.equal(r.stdout, 'override|two words|from-caller|x=y\n', r.stderr);
      writeFileSync(path.join(dir, 'bad.list'), 'BAD NAME=1\n');
      const bad = strata('run', '--env-file', path.join(dir, 'bad.list'), 'bbtest:1', 'true');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /bad\.list:1: variable "BAD NAME" contains whitespaces/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('errors are one line: unknown image, unknown user, bad network', () => {
    const a = strata('run', 'nope:latest');
    assert.equal(a.status, 1);
    assert.match(a.stderr, /^strata: .*nope.*\n$/);
    const u = strata('run', '-u', 'ghost', 'bbtest:1', 'true');
    assert.equal(u.stderr, 'strata: unknown user "ghost": not in bbtest:1:/etc/passwd\n');
    const n = strata('run', '--network', 'bridge', 'bbtest:1');
    assert.equal(n.status, 2);
    assert.match(n.stderr, /^strata: --network must be none or host, not "bridge"\n/);
  });
});

function readFileSyncSafe(p: string): string {
  try { return readFileSync(p, 'utf8'); } catch { return ''; }
}
