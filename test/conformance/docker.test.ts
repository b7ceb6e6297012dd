import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BuildEnv, repo } from '../build/support.js';
import { describeTree } from '../oci/tree.js';
import { dockerdUnavailable, startDockerd, type Dockerd } from '../support/dockerd.js';
import { alignHistory, comparable, dockerArchiveConfig, treeDiff, unpackDockerArchive } from './compare.js';

// Conformance with docker build (BuildKit in a private Debian dockerd): each fixture is built by both, and
// the image configs (the fields docker users see, history created_by/empty_layer) and the root filesystems
// (paths, types, modes, owners, content, link targets, link counts; times aside) must be equal — strata's
// both as `strata export` flattens it and as its saved layers unpack with umoci.
const fixtures = path.join(repo, 'test', 'conformance', 'fixtures');
const cases: Array<{ name: string; dir: string; buildArgs?: string[] }> = [
  { name: 'example', dir: path.join(repo, 'fixtures', 'example') },
  { name: 'metadata', dir: path.join(fixtures, 'metadata') },
  { name: 'entrypoint', dir: path.join(fixtures, 'entrypoint') },
  { name: 'copy', dir: path.join(fixtures, 'copy') },
  { name: 'run-fs', dir: path.join(fixtures, 'run-fs') },
  { name: 'etc-files', dir: path.join(fixtures, 'etc-files') },
  { name: 'add-tar', dir: path.join(fixtures, 'add-tar') },
  { name: 'onbuild', dir: path.join(fixtures, 'onbuild') },
  { name: 'users', dir: path.join(fixtures, 'users') },
  { name: 'mounts-shell', dir: path.join(fixtures, 'mounts-shell') },
  { name: 'add-url', dir: path.join(fixtures, 'add-url'), buildArgs: ['URL={server}/file.txt', 'TGZ={server}/a.tar.gz'] },
  { name: 'args-stages', dir: path.join(fixtures, 'args-stages'), buildArgs: ['V=override'] },
  { name: 'copy-paths', dir: path.join(fixtures, 'copy-paths') },
  { name: 'config-ignore', dir: path.join(fixtures, 'config-ignore') },
  { name: 'copy-dest-dirs', dir: path.join(fixtures, 'copy-dest-dirs') },
  { name: 'stages-fs', dir: path.join(fixtures, 'stages-fs') },
  { name: 'env-ignore', dir: path.join(fixtures, 'env-ignore') },
  { name: 'add-archives', dir: path.join(fixtures, 'add-archives') },
  { name: 'run-env-mounts', dir: path.join(fixtures, 'run-env-mounts') },
  { name: 'config-inherit', dir: path.join(fixtures, 'config-inherit') },
];

describe('conformance: strata build vs docker build (BuildKit)', function () {
  this.timeout(180_000);
  let env: BuildEnv | undefined;
  let dockerd: Dockerd | undefined;
  // ADD URL sources, on 127.0.0.1 (dockerd shares the host's network namespace, so both builders reach it).
  let server: Server | undefined;
  let serverUrl = '';
  const served: Record<string, Buffer> = { '/file.txt': Buffer.from('served over http\n'), '/a.tar.gz': gzipSync(Buffer.alloc(1024)) };

  before(async function () {
    const why = dockerdUnavailable();
    if (why) {
      console.log(`    conformance skipped: ${why}`);
      this.skip();
    }
    server = createServer((req, res) => {
      const body = served[req.url ?? ''];
      if (body) res.writeHead(200, { 'last-modified': 'Tue, 01 Aug 2023 00:00:00 GMT' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env = new BuildEnv();
    dockerd = await startDockerd({ base: env.work });
    const archive = path.join(env.work, 'busybox.tar');
    const saved = env.strata(['save', '-o', archive, '--format', 'docker', 'busybox:latest']);
    assert.equal(saved.status, 0, saved.stderr);
    const loaded = dockerd.docker(['load', '-i', archive]);
    assert.equal(loaded.status, 0, loaded.stderr);
  });
  after(async () => {
    server?.close();
    await dockerd?.stop();
    env?.cleanup();
  });

  for (const c of cases) {
    it(`${c.name}: same config, history and file tree`, async () => {
      const e = env!;
      const d = dockerd!;
      const ctx = path.join(e.work, `ctx-${c.name}`);
      cpSync(c.dir, ctx, { recursive: true, verbatimSymlinks: true });
      if (existsSync(path.join(ctx, 'prepare.sh'))) {
        const p = spawnSync('sh', ['prepare.sh'], { cwd: ctx, encoding: 'utf8' });
        assert.equal(p.status, 0, p.stderr);
      }
      const tag = `conformance-${c.name}:latest`;
      const args = (c.buildArgs ?? []).flatMap((a) => ['--build-arg', a.replace('{server}', serverUrl)]);
      const [db, sb] = await Promise.all([
        d.dockerAsync(['build', '--network=none', '--progress=plain', ...args, '-t', tag, ctx]),
        e.run(['build', '--progress', 'plain', ...args, '-t', tag, ctx]),
      ]);
      assert.equal(db.status, 0, `docker build ${c.name} failed: ${db.stderr.split('\n').slice(-10).join('\n')}`);
      assert.equal(sb.status, 0, `strata build ${c.name} failed: ${sb.stderr.split('\n').slice(-10).join('\n')}`);

      const archive = path.join(e.work, `docker-${c.name}.tar`);
      const saved = d.docker(['save', '-o', archive, tag]);
      assert.equal(saved.status, 0, saved.stderr);
      const dockerImage = comparable(dockerArchiveConfig(archive));
      const strataImage = comparable(e.config(tag));
      const history = alignHistory(dockerImage.history, strataImage.history);
      const dockerTree = describeTree(unpackDockerArchive(archive, path.join(e.work, `unpack-${c.name}`)));
      const strataTree = describeTree(e.rootfs(tag));
      // strata's layers too, applied by umoci as the docker side is: whiteouts and opaque dirs as written.
      const strataArchive = path.join(e.work, `strata-${c.name}.tar`);
      const saved2 = e.strata(['save', '-o', strataArchive, '--format', 'docker', tag]);
      assert.equal(saved2.status, 0, saved2.stderr);
      const strataLayered = describeTree(unpackDockerArchive(strataArchive, path.join(e.work, `unpack-strata-${c.name}`)));
      // Every difference at once, so one run reports all of them.
      const problems: string[] = [];
      for (const k of new Set([...Object.keys(dockerImage.config), ...Object.keys(strataImage.config)])) {
        const [dv, sv] = [JSON.stringify(dockerImage.config[k]), JSON.stringify(strataImage.config[k])];
        if (dv !== sv) problems.push(`config ${k}: docker=${dv} strata=${sv}`);
      }
      for (let i = 0; i < Math.max(history.docker.length, history.strata.length); i++) {
        if (history.docker[i] !== history.strata[i]) problems.push(`history[${i}]: docker=${history.docker[i] ?? '(none)'} strata=${history.strata[i] ?? '(none)'}`);
      }
      if (dockerImage.layers !== strataImage.layers) problems.push(`layers: docker=${dockerImage.layers} strata=${strataImage.layers}`);
      problems.push(...treeDiff(dockerTree, strataTree));
      problems.push(...treeDiff(dockerTree, strataLayered).map((l) => `strata layers applied by umoci: ${l}`));
      assert.deepEqual(problems, [], `${c.name} differs from docker build:\n  ${problems.join('\n  ')}`);
    });
  }
});
