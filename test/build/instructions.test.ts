import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BuildEnv } from './support.js';

// End-to-end: every instruction and the main COPY/ADD flags, checked on the image config and its file tree.
describe('strata build: instructions and flags (e2e)', function () {
  this.timeout(180_000);
  let env: BuildEnv;
  let server: Server;
  let url = '';
  const served = Buffer.from('downloaded over http\n');
  before(async () => {
    env = new BuildEnv();
    server = createServer((req, res) => {
      if (req.url === '/file.txt') res.writeHead(200, { 'last-modified': 'Tue, 01 Aug 2023 00:00:00 GMT' }).end(served);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt`;
  });
  after(() => {
    server.close();
    env.cleanup();
  });

  it('builds a Dockerfile using every instruction and checks config and files', async () => {
    const tarSrc = env.context('tarsrc', { 'inner/hello.txt': 'from a tarball\n' });
    const tgz = path.join(env.work, 'archive.tar.gz');
    assert.equal(spawnSync('tar', ['-czf', tgz, '-C', tarSrc, 'inner']).status, 0);
    const sum = createHash('sha256').update(served).digest('hex');
    const dir = env.context('all', {
      'app/a.txt': 'A\n', 'app/sub/b.txt': 'B\n', 'data/x.conf': 'x\n', 'data/y.conf': 'y\n', 'data/z.txt': 'z\n',
      'archive.tar.gz': readFileSync(tgz),
      '.dockerignore': 'data/z.txt\n',
      Dockerfile: [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=busybox',
        'FROM ${BASE} AS base',
        'LABEL org.example.a="1" org.example.b=two',
        'MAINTAINER someone@example.com',
        'ENV APP=/srv/app GREETING="hello world"',
        'WORKDIR $APP',
        'COPY app/ ./',
        'COPY --chmod=0600 --chown=1000:1000 data/*.conf /etc/conf/',
        'ADD archive.tar.gz /opt/',
        `ADD --checksum=sha256:${sum} ${url} /dl/`,
        `ADD --chmod=755 ${url} /dl-exec/`,
        'RUN echo "$GREETING" > greeting.txt && ln -s greeting.txt link.txt && mkdir -p /var/empty',
        'RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]',
        'RUN <<EOF',
        'echo heredoc > /heredoc.txt',
        'EOF',
        'COPY <<EOF /etc/inline.conf',
        'inline $APP',
        'EOF',
        'SHELL ["/bin/sh", "-e", "-c"]',
        'USER 1000:1000',
        'RUN id -u > /tmp/uid.txt',
        'USER root',
        'EXPOSE 8080/tcp 53/udp',
        'VOLUME ["/data"]',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=30s --timeout=5s --retries=2 CMD ["true"]',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["echo hi"]',
        'ONBUILD RUN echo triggered > /onbuild.txt',
        'FROM busybox AS unused',
        'RUN exit 1',
        'FROM base',
        'COPY --from=base /srv/app/greeting.txt /copied-from-stage.txt',
        '',
      ].join('\n'),
    });
    // Built without blocking: this process serves the ADD URL.
    const r = await env.run(['build', '--progress', 'plain', '-t', 'all:1', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /exit 1/, 'the unreachable stage must not run');
    const c = env.config('all:1');
    const cfg = c.config as Record<string, unknown>;
    assert.deepEqual(cfg.Labels, { 'org.example.a': '1', 'org.example.b': 'two' });
    assert.ok((cfg.Env as string[]).includes('APP=/srv/app'));
    assert.ok((cfg.Env as string[]).includes('GREETING=hello world'));
    assert.equal(cfg.WorkingDir, '/srv/app');
    assert.equal(cfg.User, 'root');
    assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(cfg.Volumes, { '/data': {} });
    assert.equal(cfg.StopSignal, 'SIGQUIT');
    assert.deepEqual((cfg.Healthcheck as { Test: string[] }).Test, ['CMD', 'true']);
    assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(cfg.Cmd, ['echo hi']);
    assert.deepEqual(cfg.Shell, ['/bin/sh', '-e', '-c']);
    assert.ok(c.history.some((h) => h.created_by === 'MAINTAINER someone@example.com' && h.empty_layer === true));
    assert.equal(c.history.filter((h) => !h.empty_layer).length, c.rootfs.diff_ids.length, 'one history entry per layer');

    const fs = env.rootfs('all:1');
    const read = (p: string) => readFileSync(path.join(fs, p), 'utf8');
    assert.equal(read('srv/app/a.txt'), 'A\n');
    assert.equal(read('srv/app/sub/b.txt'), 'B\n', 'COPY dir/ copies the directory contents');
    assert.equal(read('srv/app/greeting.txt'), 'hello world\n');
    assert.equal(readlinkSync(path.join(fs, 'srv/app/link.txt')), 'greeting.txt');
    const conf = lstatSync(path.join(fs, 'etc/conf/x.conf'));
    assert.equal(conf.mode & 0o777, 0o600);
    assert.equal(conf.uid, 1000);
    assert.equal(conf.gid, 1000);
    assert.ok(existsSync(path.join(fs, 'etc/conf/y.conf')));
    assert.equal(read('opt/inner/hello.txt'), 'from a tarball\n', 'ADD extracts local archives');
    assert.equal(read('dl/file.txt'), served.toString());
    assert.equal(lstatSync(path.join(fs, 'dl/file.txt')).mode & 0o777, 0o600);
    assert.equal(lstatSync(path.join(fs, 'dl-exec/file.txt')).mode & 0o777, 0o755, 'ADD --chmod of a URL');
    assert.equal(read('exec.txt'), 'exec-form\n');
    assert.equal(read('heredoc.txt'), 'heredoc\n');
    assert.equal(read('etc/inline.conf'), 'inline /srv/app\n');
    assert.equal(read('tmp/uid.txt'), '1000\n');
    assert.equal(read('copied-from-stage.txt'), 'hello world\n');
    assert.equal(read('onbuild.txt'), 'triggered\n', 'ONBUILD of the base stage runs after FROM base');
    const owner = lstatSync(path.join(fs, 'srv/app/a.txt'));
    assert.equal(owner.uid, 0, 'COPY from the context is owned by root');
  });

  it('a COPY of a directory copies its contents: a new destination is 0755 (or --chmod) and --chown-owned, an existing one is left as it was', () => {
    const dir = env.context('dest-dirs', { 'secret/inner/s.txt': 's\n', Dockerfile: [
      'FROM busybox',
      'RUN mkdir -m 0700 /kept && chown 5:6 /kept && mkdir -p -m 0711 /app',
      'COPY secret /new',
      'COPY --chown=7:8 secret /new-owned',
      'COPY --chmod=0750 secret /new-moded',
      'COPY --chown=7:8 secret /kept',
      'WORKDIR /app',
      'COPY secret .',
      '',
    ].join('\n') });
    spawnSync('chmod', ['0700', path.join(dir, 'secret'), path.join(dir, 'secret/inner')]);
    env.build(dir, ['-t', 'dest-dirs:1']);
    const fs = env.rootfs('dest-dirs:1');
    const meta = (p: string) => {
      const st = lstatSync(path.join(fs, p));
      return `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    };
    assert.equal(meta('new'), '755 0:0', 'the source directory\'s own mode is not copied');
    assert.equal(meta('new/inner'), '700 0:0', 'directories inside keep theirs');
    assert.equal(meta('new-owned'), '755 7:8');
    assert.equal(meta('new-owned/inner'), '700 7:8');
    assert.equal(meta('new-moded'), '750 0:0');
    assert.equal(meta('kept'), '700 5:6', 'an existing destination keeps its owner and mode, --chown aside');
    assert.equal(meta('kept/inner'), '700 7:8');
    assert.equal(meta('app'), '711 0:0', 'COPY into the WORKDIR leaves the WORKDIR as it was');
    assert.equal(readFileSync(path.join(fs, 'app/inner/s.txt'), 'utf8'), 's\n');
  });

  it('--label sets image labels over the Dockerfile\'s (no history entry); --network none takes RUNs off the host network and --add-host adds /etc/hosts lines, both keyed', () => {
    const dir = env.context('label-net', { Dockerfile: 'FROM busybox\nLABEL a=dockerfile keep=yes\nRUN ip link | grep -c "^[0-9]" > /links.txt\n' });
    env.build(dir, ['-t', 'labnet:host', '--label', 'a=cli', '--label', 'rev=abc', '--label', 'bare']);
    const c = env.config('labnet:host');
    assert.deepEqual((c.config as { Labels: unknown }).Labels, { a: 'cli', keep: 'yes', rev: 'abc', bare: '' });
    assert.equal(c.history.length, env.config('busybox:latest').history.length + 2, 'LABEL and RUN only');
    const hostLinks = Number(readFileSync(path.join(env.rootfs('labnet:host'), 'links.txt'), 'utf8'));
    const log = env.build(dir, ['-t', 'labnet:none', '--network', 'none']);
    assert.match(log, /cache miss: RUN line 3: network changed: "default" → "none"/);
    assert.equal(readFileSync(path.join(env.rootfs('labnet:none'), 'links.txt'), 'utf8'), '1\n', 'loopback only');
    assert.equal(hostLinks, readdirSync('/sys/class/net').length, 'the default network is the host\'s: all its interfaces');
    const hosts = env.context('add-host', { Dockerfile: 'FROM busybox\nRUN tail -2 /etc/hosts > /hosts-tail.txt\n' });
    env.build(hosts, ['-t', 'labnet:hosts', '--add-host', 'db:10.1.2.3', '--add-host', 'v6=[::5]']);
    assert.equal(readFileSync(path.join(env.rootfs('labnet:hosts'), 'hosts-tail.txt'), 'utf8'), '10.1.2.3\tdb\n::5\tv6\n');
    assert.match(env.build(hosts, ['--add-host', 'db:10.1.2.4']), /extraHosts changed/, '--add-host is part of the key');
    const run = env.strata(['run', '--add-host', 'x:1.2.3.4', 'busybox:latest', 'tail', '-1', '/etc/hosts']);
    assert.equal(run.stdout, '1.2.3.4\tx\n', run.stderr);
    const gateway = env.strata(['build', '--add-host', 'db:host-gateway', hosts]);
    assert.equal(gateway.status, 2);
    assert.match(gateway.stderr, /^strata: --add-host db:host-gateway: want HOST:IP with an IP address/);
    const bad = env.strata(['build', '--network', 'bridge', dir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--network bridge: want default, none or host/);
  });

  it('refuses a single-platform base image of another platform than --platform or FROM --platform asks for', () => {
    const dir = env.context('platform-mismatch', { Dockerfile: 'FROM busybox\nRUN echo hi\n' });
    const r = env.strata(['build', '--platform', 'linux/arm64', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim().split('\n').pop()!, /^strata: .*Dockerfile:1: base image busybox: the image is linux\/amd64, not the linux\/arm64 this build is for/);
    const stage = env.context('platform-stage', { Dockerfile: 'FROM --platform=linux/arm64 busybox AS x\nFROM busybox\nCOPY --from=x /bin/busybox /bb\n' });
    assert.match(env.strata(['build', stage]).stderr, /Dockerfile:1: base image busybox: the image is linux\/amd64, not the linux\/arm64/);
    env.build(dir, ['--platform', 'linux/amd64']);
  });

  it('names what a failing RUN or COPY could not find as the container sees it, never a scratch path', () => {
    const cases: Array<[string, RegExp]> = [
      ['FROM busybox\nUSER ghost\nRUN true\n', /Dockerfile:3: RUN true: unknown user "ghost": not in \/etc\/passwd$/],
      ['FROM busybox\nCOPY --chown=1000:ghosts Dockerfile /x\n', /Dockerfile:2: COPY --chown=1000:ghosts Dockerfile \/x: unknown group "ghosts": not in \/etc\/group$/],
      ['FROM busybox AS s\nFROM busybox\nRUN --mount=from=s,source=/nope,target=/m true\n', /: --mount source \/nope does not exist in its from= source$/],
    ];
    cases.forEach(([df, want], i) => {
      const r = env.strata(['build', env.context(`scratch-names-${i}`, { Dockerfile: df })]);
      assert.equal(r.status, 1);
      const line = r.stderr.trim().split('\n').pop()!;
      assert.match(line, want);
      assert.doesNotMatch(line, /\/tmp\//);
    });
  });

  it('-o - and --output type=tar|docker|oci,dest=- write the result to standard output, progress staying on stderr', () => {
    const dir = env.context('stdout-out', { Dockerfile: 'FROM busybox\nRUN echo made > /made.txt\n' });
    const list = (tar: Buffer) => spawnSync('tar', ['-tf', '-'], { input: tar, encoding: 'utf8' }).stdout.split('\n');
    const bare = env.strataBytes(['build', '--progress', 'plain', '-o', '-', dir]);
    assert.equal(bare.status, 0, bare.stderr.toString());
    assert.ok(list(bare.stdout).includes('made.txt'), 'the root filesystem as a tar');
    assert.match(bare.stderr.toString(), /RUN echo made/);
    for (const [type, member] of [['docker', 'manifest.json'], ['oci', 'index.json'], ['tar', 'made.txt']]) {
      const r = env.strataBytes(['build', '--iidfile', path.join(env.work, 'iid'), '--output', `type=${type},dest=-`, dir]);
      assert.equal(r.status, 0, r.stderr.toString());
      assert.ok(list(r.stdout).includes(member), `${type}: ${member}`);
    }
    const quiet = env.strata(['build', '-q', '-o', '-', dir]);
    assert.equal(quiet.status, 2);
    assert.match(quiet.stderr, /-q prints the image id on standard output/);
    const local = env.strata(['build', '--output', 'type=local,dest=-', dir]);
    assert.equal(local.status, 1);
    assert.match(local.stderr, /a local output is a directory, it cannot go to standard output/);
    assert.deepEqual(readdirSync(path.join(env.root, 'tmp')).filter((n) => n.startsWith('output-')), []);
  });

  it('--chmod takes chmod symbols (u=rwX,go=rX, +x, g=u) per entry; a source mode change is a miss only then', () => {
    const dir = env.context('chmod-symbolic', {
      'tree/plain.txt': 'p\n', 'tree/run.sh': '#!/bin/sh\n', 'tree/sub/deep.txt': 'd\n', 'one.sh': 'x\n',
      Dockerfile: 'FROM busybox\nCOPY --chmod=u=rwX,go=rX tree /t\nCOPY --chmod=+x one.sh /one.sh\nCOPY --chmod=0640 tree/plain.txt /octal.txt\n',
    });
    spawnSync('chmod', ['0600', path.join(dir, 'tree/plain.txt'), path.join(dir, 'one.sh'), path.join(dir, 'tree/sub/deep.txt')]);
    spawnSync('chmod', ['0700', path.join(dir, 'tree/run.sh'), path.join(dir, 'tree/sub'), path.join(dir, 'tree')]);
    env.build(dir, ['-t', 'chmodsym:1']);
    const fs = env.rootfs('chmodsym:1');
    const mode = (p: string) => (lstatSync(path.join(fs, p)).mode & 0o7777).toString(8);
    assert.deepEqual(['t/plain.txt', 't/run.sh', 't/sub', 't/sub/deep.txt', 'one.sh', 'octal.txt'].map(mode), ['644', '755', '755', '644', '711', '640']);
    spawnSync('chmod', ['0700', path.join(dir, 'tree/plain.txt')]);
    assert.match(env.build(dir, ['-t', 'chmodsym:1']), /cache miss: COPY line 2: tree\/plain\.txt mode\/owner changed/);
    assert.equal((lstatSync(path.join(env.rootfs('chmodsym:1'), 't/plain.txt')).mode & 0o7777).toString(8), '755');
    const octal = env.context('chmod-octal', { 'f.txt': 'f\n', Dockerfile: 'FROM busybox\nCOPY --chmod=0640 f.txt /f.txt\n' });
    env.build(octal);
    spawnSync('chmod', ['0700', path.join(octal, 'f.txt')]);
    assert.match(env.build(octal), /\(2 cached, 0 run\)/, 'an octal --chmod does not read the source mode');
  });

  it('runs the build checks: warnings in the output, a failure before any step under # check=error=true, --check alone', () => {
    const dir = env.context('checks', { Dockerfile: 'FROM busybox as base\nENV FROM_BASE_OK=$PATH\nCMD echo hi\n' });
    const log = env.build(dir);
    assert.match(log, /Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match/);
    assert.match(log, /Dockerfile:3: JSONArgsRecommended:/);
    assert.doesNotMatch(log, /UndefinedVar/, 'PATH comes from the base image');
    const strict = env.context('checks-strict', { Dockerfile: '# check=error=true\nFROM busybox as base\nRUN echo never-runs\n' });
    const r = env.strata(['build', '--progress', 'plain', strict]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim().split('\n').pop()!, /Dockerfile:2: lint violation \(# check=error=true\): FromAsCasing: /);
    assert.doesNotMatch(r.stderr, /never-runs \(line/);
    const check = env.strata(['build', '--check', dir]);
    assert.equal(check.status, 1);
    assert.match(check.stdout, /Dockerfile:1: FromAsCasing: [^\n]*\n.*Dockerfile:3: JSONArgsRecommended: [^\n]*\nCheck complete, 2 warnings have been found!\n$/s);
    const clean = env.context('checks-clean', { Dockerfile: 'FROM busybox\nCMD ["sh"]\n' });
    assert.equal(env.strata(['build', '--check', clean]).stdout, 'Check complete, no warnings found.\n');
  });

  it('warns about build args no stage the build needs declares, as BuildKit does', () => {
    const dir = env.context('unused-args', { Dockerfile: 'FROM busybox\nARG USED\nRUN echo $USED\nFROM busybox AS unneeded\nARG OTHER\n' });
    const log = env.build(dir, ['--target', '0', '--build-arg', 'USED=1', '--build-arg', 'UNUSED=2', '--build-arg', 'OTHER=3', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '--build-arg', 'HTTP_PROXY=x']);
    assert.match(log, /one or more build-args were not consumed: OTHER, UNUSED\n/);
  });

  it('takes BUILDKIT_PROGRESS as the default --progress, as docker build does', () => {
    const dir = env.context('progress-env', { Dockerfile: 'FROM busybox\nRUN echo hi\n' });
    const r = env.strata(['build', dir], { BUILDKIT_PROGRESS: 'json' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stderr.trim().split('\n').every((l) => l.startsWith('{')), r.stderr);
    assert.match(env.strata(['build', '--progress', 'plain', dir], { BUILDKIT_PROGRESS: 'json' }).stderr, /^#1 /m, '--progress wins');
  });

  it('ignores .dockerignore-d files and fails on COPY of one with FILE:LINE', () => {
    const dir = env.context('ignored', { 'keep.txt': 'k', 'secret.key': 's', '.dockerignore': '*.key\n', Dockerfile: 'FROM busybox\nCOPY keep.txt /\nCOPY secret.key /\n' });
    const r = env.strata(['build', '--progress', 'plain', dir]);
    assert.equal(r.status, 1);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(last, /^strata: .*Dockerfile:3: COPY secret\.key \/: .*secret\.key.*not found/);
  });

  it('--target builds only the stages it needs, and outputs reach oci, docker, local and tar', () => {
    const dir = env.context('target', { Dockerfile: 'FROM busybox AS one\nRUN echo one > /one\nFROM busybox AS two\nRUN exit 7\nFROM one AS three\nRUN echo three > /three\n' });
    const out = mkdtempSync(path.join(env.work, 'out-'));
    const log = env.build(dir, ['--target', 'three', '-t', 'three:1', '--output', `type=local,dest=${out}/local`, '--output', `type=oci,dest=${out}/layout`,
      '--output', `type=docker,dest=${out}/docker.tar`, '--output', `type=tar,dest=${out}/fs.tar`, '--iidfile', `${out}/iid`]);
    assert.doesNotMatch(log, /exit 7/);
    assert.equal(readFileSync(path.join(out, 'local/three'), 'utf8'), 'three\n');
    assert.equal(readFileSync(path.join(out, 'local/one'), 'utf8'), 'one\n');
    assert.ok(existsSync(path.join(out, 'layout/index.json')));
    assert.match(spawnSync('tar', ['-tf', path.join(out, 'docker.tar')], { encoding: 'utf8' }).stdout, /manifest\.json/);
    assert.match(spawnSync('tar', ['-tf', path.join(out, 'fs.tar')], { encoding: 'utf8' }).stdout, /^three$/m);
    assert.match(readFileSync(path.join(out, 'iid'), 'utf8'), /^sha256:[a-f0-9]{64}$/);
    const loaded = env.strata(['inspect', `oci:${out}/layout`]);
    assert.equal(loaded.status, 0, loaded.stderr);
  });
});
