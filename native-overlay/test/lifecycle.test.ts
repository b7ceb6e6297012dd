import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { native, unionfsBinary } from '../lib/index.js';
import { asanUnionfsBinary, isMounted, Union, waitFor } from './union-fixture.js';

/** Runs the binary (which would detach on success) and returns its exit status and stderr. */
function tryMount(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(unionfsBinary(), args, { encoding: 'utf8', timeout: 10000 });
  return { status: r.status, stderr: r.stderr };
}

describe('strata-unionfs lifecycle', () => {
  let u: Union;
  beforeEach(() => {
    u = new Union(1);
    fs.writeFileSync(u.l(0, 'f'), 'f');
  });
  afterEach(async () => { await u.dispose(); });

  it('unmounts cleanly and exits 0 on SIGTERM', async () => {
    const child = await u.mountForeground();
    assert.equal(fs.readFileSync(u.m('f'), 'utf8'), 'f');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(isMounted(u.mnt), false);
  });

  it('exits when unmounted from outside', async () => {
    const child = await u.mountForeground();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    execFileSync('umount', [u.mnt]);
    assert.equal(await exited, 0);
  });

  it('leaves no dead mount behind when killed outright', async () => {
    const child = await u.mountForeground();
    child.kill('SIGKILL');
    assert.ok(await waitFor(() => !isMounted(u.mnt)), 'the guardian detached the dead mount');
    assert.deepEqual(fs.readdirSync(u.mnt), []);
  });

  it('detaches only once the mount is ready', () => {
    const r = tryMount(['-o', u.optionString(), u.mnt]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(isMounted(u.mnt), 'mounted when the command returns');
    execFileSync('umount', [u.mnt]);
  });

  it('accepts fuse-overlayfs options harmlessly and rejects unknown ones with a one-line error', () => {
    let r = tryMount(['-o', u.optionString(['allow_other', 'noatime', 'fsync=0', 'threaded=1', 'suid', 'dev']), u.mnt]);
    assert.equal(r.status, 0, r.stderr);
    execFileSync('umount', [u.mnt]);
    r = tryMount(['-o', u.optionString(['bogus']), u.mnt]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown option bogus/);
    r = tryMount(['-o', `upperdir=${u.upper}`, u.mnt]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /lowerdir= is required/);
    assert.equal(isMounted(u.mnt), false);
  });

  it('mounts a chain of 300 lower layers (a lowerdir option far longer than a page)', async () => {
    const many = Array.from({ length: 300 }, (_, i) => path.join(u.root, `layer-${String(i).padStart(3, '0')}`));
    many.forEach((d, i) => { fs.mkdirSync(d); fs.writeFileSync(path.join(d, `f${i}`), String(i)); fs.writeFileSync(path.join(d, 'shared'), String(i)); });
    const r = tryMount(['-o', `lowerdir=${many.join(':')},upperdir=${u.upper},workdir=${u.work}`, u.mnt]);
    assert.equal(r.status, 0, r.stderr);
    try {
      assert.equal(fs.readdirSync(u.mnt).length, 301);
      assert.equal(fs.readFileSync(u.m('shared'), 'utf8'), '0', 'the leftmost lower wins');
      assert.equal(fs.readFileSync(u.m('f299'), 'utf8'), '299');
    } finally {
      execFileSync('umount', [u.mnt]);
    }
  });

  it('runs unprivileged through fusermount3: .wh. files and user.overlay.opaque in the upper dir', async () => {
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    fs.mkdirSync(u.l(0, 'd'));
    fs.writeFileSync(u.l(0, 'd/b'), 'b');
    fs.chmodSync(u.root, 0o755);
    execFileSync('chown', ['-R', '65534:65534', u.root]);
    execFileSync('setpriv', [...asNobody, unionfsBinary(), '-o', u.optionString(), u.mnt]);
    try {
      execFileSync('setpriv', [...asNobody, 'sh', '-c', `cd ${u.mnt} && rm f && rm -r d && mkdir d && echo n > d/n`]);
      // without allow_other only the mounting user may look (root included)
      const ls = (p: string) => execFileSync('setpriv', [...asNobody, 'ls', '-A', p], { encoding: 'utf8' }).trim();
      assert.equal(ls(u.mnt), 'd');
      assert.equal(ls(u.m('d')), 'n');
    } finally {
      execFileSync('setpriv', [...asNobody, 'fusermount3', '-u', u.mnt]);
    }
    assert.deepEqual(fs.readdirSync(u.upper).sort(), ['.wh.f', 'd']);
    assert.deepEqual(native().getXattr(u.u('d'), 'user.overlay.opaque'), Buffer.from('y'));
    assert.deepEqual(fs.readdirSync(u.u('d')), ['n']);
    // killed outright, an unprivileged daemon's guardian undoes the mount through fusermount3
    const child = spawn('setpriv', [...asNobody, unionfsBinary(), '-f', '-o', u.optionString(), u.mnt], { stdio: 'ignore' });
    assert.ok(await waitFor(() => isMounted(u.mnt)), 'mounted');
    child.kill('SIGKILL');
    assert.ok(await waitFor(() => !isMounted(u.mnt)), 'the dead mount was detached');
  });

  describe('bad lower dirs never crash it', () => {
    it('a missing lower dir or a file instead of a dir: exit 1 with the path, no mount', () => {
      for (const bad of [path.join(u.root, 'missing'), u.l(0, 'f')]) {
        const r = tryMount(['-o', `lowerdir=${bad},upperdir=${u.upper},workdir=${u.work}`, u.mnt]);
        assert.equal(r.status, 1, r.stderr);
        assert.ok(r.stderr.includes(bad), r.stderr);
        assert.equal(r.stderr.trim().split('\n')[0]!.startsWith('strata-unionfs:'), true);
        assert.equal(isMounted(u.mnt), false);
      }
      const r = tryMount(['-o', `lowerdir=${u.lowers[0]},upperdir=${u.upper},workdir=${path.join(u.root, 'nowork')}`, u.mnt]);
      assert.equal(r.status, 1);
    });

    for (const [name, binary] of [['release', unionfsBinary()], ['ASan/UBSan', asanUnionfsBinary]] as const) {
      it(`${name} build: unreadable entries, dangling symlinks, odd names, deep trees`, async () => {
        const l = u.lowers[0]!;
        fs.symlinkSync('/nonexistent/target', path.join(l, 'dangling'));
        fs.symlinkSync('loop', path.join(l, 'loop'));
        fs.mkdirSync(path.join(l, 'locked'));
        fs.writeFileSync(path.join(l, 'locked', 'inside'), 'i');
        fs.chmodSync(path.join(l, 'locked'), 0);
        fs.writeFileSync(path.join(l, 'name with\nnewline'), 'n');
        fs.writeFileSync(path.join(l, '.wh.'), 'bare whiteout prefix');
        fs.writeFileSync(path.join(l, 'x'.repeat(255)), 'long');
        let deep = l;
        for (let i = 0; i < 60; i++) deep = path.join(deep, 'd');
        fs.mkdirSync(deep, { recursive: true });
        fs.writeFileSync(path.join(deep, 'leaf'), 'leaf');
        fs.mkdirSync(path.join(u.root, 'lower-missing-later'));
        const child = await u.mountForeground(binary);
        assert.ok(fs.readdirSync(u.mnt).includes('dangling'));
        assert.equal(fs.readlinkSync(u.m('dangling')), '/nonexistent/target');
        assert.throws(() => fs.readFileSync(u.m('dangling')), /ENOENT/);
        assert.throws(() => fs.readFileSync(u.m('loop')), /ELOOP/);
        assert.equal(fs.readFileSync(u.m('name with\nnewline'), 'utf8'), 'n');
        assert.equal(fs.readFileSync(u.m('x'.repeat(255)), 'utf8'), 'long');
        assert.throws(() => fs.writeFileSync(u.m('y'.repeat(256)), ''), /ENAMETOOLONG/);
        assert.equal(fs.readFileSync(path.join(u.mnt, path.relative(l, deep), 'leaf'), 'utf8'), 'leaf');
        fs.appendFileSync(path.join(u.mnt, path.relative(l, deep), 'leaf'), '+');
        assert.equal(fs.readFileSync(path.join(u.upper, path.relative(l, deep), 'leaf'), 'utf8'), 'leaf+');
        // root may still read the 000 dir, as on the kernel overlay; an unprivileged caller may not
        assert.equal(fs.readFileSync(u.m('locked/inside'), 'utf8'), 'i');
        fs.chmodSync(u.root, 0o755);
        const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ls', u.m('locked')]);
        assert.notEqual(r.status, 0);
        fs.unlinkSync(u.m('dangling'));
        fs.rmSync(u.m('locked'), { recursive: true, force: true });
        // pull the lower away while mounted: errors, not a crash
        fs.chmodSync(path.join(l, 'locked'), 0o755);
        fs.rmSync(path.join(l, 'd'), { recursive: true });
        // changing a lower under a mount is undefined (as for the kernel overlay): any answer but a crash
        try { fs.readdirSync(u.m('d')); fs.statSync(u.m('d/d/d')); } catch { /* ENOENT is fine too */ }
        assert.ok(isMounted(u.mnt));
        const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
        child.kill('SIGTERM');
        assert.equal(await exited, 0, u.stderr);
        assert.doesNotMatch(u.stderr, /AddressSanitizer|runtime error|LeakSanitizer/);
      });
    }
  });
});
