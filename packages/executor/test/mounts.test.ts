import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Executor, parseRunMount, prepareRunMounts, holdCacheDir, type RunMountContext } from '../src/index.js';
import { listTree, makeBusyboxRootfs, mountsUnder, processesIn, removeTree, runCollect } from './fixture.js';

describe('RUN --mount', () => {
  let rootfs: string;
  let work: string;
  let ctxDir: string;
  let ctx: RunMountContext;
  const ex = new Executor();
  before(() => {
    rootfs = makeBusyboxRootfs();
    work = mkdtempSync(path.join(os.tmpdir(), 'strata-exec-mounts-'));
    ctxDir = path.join(work, 'context');
    mkdirSync(path.join(ctxDir, 'src'), { recursive: true });
    writeFileSync(path.join(ctxDir, 'src', 'a.txt'), 'from-context\n');
    ctx = { stateRoot: path.join(work, 'state'), resolveFrom: () => ctxDir, tmpDir: work };
  });
  after(() => { removeTree(rootfs); removeTree(work); });
  afterEach(() => {
    assert.deepEqual(processesIn(rootfs), []);
    assert.deepEqual(mountsUnder(rootfs), []);
    assert.deepEqual(readdirSync(work).filter((n) => n.startsWith('strata-')), [], 'a temp dir was left behind');
  });

  async function withMounts(flags: string[], argv: string[], extra: Partial<RunMountContext> = {}, user?: string) {
    const prepared = await prepareRunMounts(flags.map(parseRunMount), { ...ctx, ...extra });
    try {
      return await runCollect(ex, { rootfs, user, argv, env: prepared.env, mounts: prepared.mounts });
    } finally {
      await prepared.release();
    }
  }

  it('parses mount flags as BuildKit does', () => {
    assert.deepEqual(parseRunMount('type=cache,target=/c,sharing=locked,uid=1000,mode=0700,id=x'), { type: 'cache', target: '/c', sharing: 'locked', uid: 1000, mode: 0o700, id: 'x' });
    assert.deepEqual(parseRunMount('target=/src,rw'), { type: 'bind', target: '/src', readwrite: true });
    assert.deepEqual(parseRunMount('type=tmpfs,target=/t,size=1m'), { type: 'tmpfs', target: '/t', size: 1 << 20 });
    assert.throws(() => parseRunMount('type=nfs,target=/x'), /unknown --mount type "nfs"/);
    assert.throws(() => parseRunMount('type=cache,bogus=1'), /unknown --mount option "bogus"/);
  });

  it('bind is read-only by default', async () => {
    const r = await withMounts(['type=bind,source=src,target=/src'], ['sh', '-c', 'cat /src/a.txt; echo x > /src/b.txt || echo ro']);
    assert.deepEqual(r.out, ['from-context', 'ro']);
  });

  it('bind,rw writes never reach the source or the layer', async () => {
    const r = await withMounts(['type=bind,source=src,target=/src,rw'], ['sh', '-c', 'echo changed > /src/a.txt; echo new > /src/b.txt; cat /src/a.txt /src/b.txt']);
    assert.deepEqual(r.out, ['changed', 'new']);
    assert.equal(readFileSync(path.join(ctxDir, 'src', 'a.txt'), 'utf8'), 'from-context\n');
    assert.ok(!existsSync(path.join(ctxDir, 'src', 'b.txt')));
    assert.ok(!existsSync(path.join(rootfs, 'src')));
  });

  it('cache persists between steps with its uid, gid and mode', async () => {
    const flag = 'type=cache,target=/cache,id=c1,uid=1000,gid=2000,mode=0750';
    await withMounts([flag], ['sh', '-c', 'echo kept > /cache/f'], {}, 'tester');
    const r = await withMounts([flag], ['sh', '-c', 'cat /cache/f; stat -c "%u %g %a" /cache'], {}, 'tester');
    assert.deepEqual(r.out, ['kept', '1000 2000 750']);
    assert.equal(readdirSync(path.join(ctx.stateRoot, 'cache-mounts')).filter((n) => !n.endsWith('.lock')).length, 1);
  });

  it('cache from= starts as a copy of the source and never writes to it', async () => {
    const r = await withMounts(['type=cache,target=/c,id=seeded,from=ctx,source=src'], ['sh', '-c', 'cat /c/a.txt; echo more > /c/new']);
    assert.deepEqual(r.out, ['from-context']);
    assert.ok(!existsSync(path.join(ctxDir, 'src', 'new')));
    const again = await withMounts(['type=cache,target=/c,id=seeded,from=ctx,source=src'], ['cat', '/c/new']);
    assert.deepEqual(again.out, ['more']);
  });

  it('cache sharing: locked waits, private gets its own dir, shared is shared', async () => {
    const a = await holdCacheDir(ctx.stateRoot, 'L', 'locked', { uid: 0, gid: 0, mode: 0o755 });
    let second = false;
    const waiting = holdCacheDir(ctx.stateRoot, 'L', 'locked', { uid: 0, gid: 0, mode: 0o755 }).then((h) => { second = true; return h; });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(second, false, 'a locked cache was handed out twice');
    await a.release();
    const b = await waiting;
    assert.equal(b.dir, a.dir);
    const p1 = await holdCacheDir(ctx.stateRoot, 'P', 'private', { uid: 0, gid: 0, mode: 0o755 });
    const p2 = await holdCacheDir(ctx.stateRoot, 'P', 'private', { uid: 0, gid: 0, mode: 0o755 });
    assert.notEqual(p1.dir, p2.dir);
    const s1 = await holdCacheDir(ctx.stateRoot, 'S', 'shared', { uid: 0, gid: 0, mode: 0o755 });
    const s2 = await holdCacheDir(ctx.stateRoot, 'S', 'shared', { uid: 0, gid: 0, mode: 0o755 });
    assert.equal(s1.dir, s2.dir);
    for (const h of [b, p1, p2, s1, s2]) await h.release();
  });

  it('tmpfs with a size', async () => {
    const r = await withMounts(['type=tmpfs,target=/scratch,size=1m'], ['sh', '-c', 'df -k /scratch | tail -1; dd if=/dev/zero of=/scratch/f bs=1k count=2048 2>/dev/null || echo full']);
    assert.match(r.out[0]!, /^tmpfs\s+1024\s/);
    assert.equal(r.out[1], 'full');
  });

  it('a secret is readable at /run/secrets/<id> (0400) and in env, and appears nowhere in the rootfs', async () => {
    const secret = `s3cr3t-${process.pid}-${Date.now()}`;
    const secrets = { tok: { data: secret }, envtok: { data: secret + '-env' } };
    const before = listTree(rootfs);
    const r = await withMounts(['type=secret,id=tok', 'type=secret,id=envtok,env=TOKEN', 'type=secret,id=missing'],
      ['sh', '-c', 'cat /run/secrets/tok; echo; stat -c "%a %u" /run/secrets/tok; echo "$TOKEN"; ls /run/secrets'], { secrets });
    assert.deepEqual(r.out.slice(0, 3), [secret, '400 0', secret + '-env']);
    assert.deepEqual(r.out.slice(3), ['tok']);
    assert.deepEqual(listTree(rootfs), before, 'the secret mount point was left in the rootfs');
    const grep = spawnSync('grep', ['-rl', '--', secret, rootfs], { encoding: 'utf8' });
    assert.equal(grep.status, 1, `secret found in ${grep.stdout}`);
  });

  it('a required secret that was not given is one line', async () => {
    await assert.rejects(withMounts(['type=secret,id=nope,required'], ['true']), /^ExecutorError: secret "nope" is required but was not given$/);
  });

  it('ssh forwards an agent socket and sets SSH_AUTH_SOCK', async () => {
    // busybox has no unix-socket client: build a static one into the rootfs.
    const src = path.join(work, 'uclient.c');
    writeFileSync(src, `#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int c, char **v) { struct sockaddr_un a = {AF_UNIX, {0}}; char b[256]; ssize_t n;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0); strncpy(a.sun_path, v[1], sizeof a.sun_path - 1);
  if (c < 2 || connect(fd, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
  while ((n = read(fd, b, sizeof b)) > 0) fwrite(b, 1, (size_t)n, stdout); return 0; }
`);
    execFileSync('gcc', ['-static', '-O2', '-o', path.join(rootfs, 'bin/uclient'), src]);
    execFileSync('rm', [src]);
    const sock = path.join(work, 'agent.sock');
    const server = net.createServer((c) => c.end('agent-hello\n'));
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const r = await withMounts(['type=ssh'], ['sh', '-c', 'echo $SSH_AUTH_SOCK; uclient $SSH_AUTH_SOCK'], { ssh: { default: sock } });
      assert.deepEqual(r.out, ['/run/buildkit/ssh_agent.0', 'agent-hello']);
    } finally {
      server.close();
    }
    assert.ok(statSync(rootfs).isDirectory());
  });
});
