import { strict as assert } from 'node:assert';
import { PlannerError, resolveDest } from '../src/index.js';
import { opAt, opsOf, plan } from './helpers.js';

const images = {
  alpine: { config: { Env: ['PATH=/bin'] } },
  golang: { config: { Env: ['PATH=/go/bin'] }, digest: `sha256:${'b'.repeat(64)}` },
  unused: { config: {} },
};

describe('planner compile: stages, COPY and dedup', () => {
  it('compiles only stages reachable from the target and never resolves the others', async () => {
    const text = 'FROM unused AS lint\nRUN lint\nFROM golang AS build\nRUN go build\nFROM alpine\nCOPY --from=build /out /app\n';
    const calls: string[] = [];
    const g = await plan(text, images, { calls });
    assert.deepEqual([...g.stages.keys()].sort(), [1, 2]);
    assert.deepEqual(calls.sort(), ['alpine@linux/amd64', 'golang@linux/amd64']);
    assert.ok(!opsOf(g).some((o) => o.text === 'RUN lint'));
    const t = await plan(text, images, { target: 'lint' });
    assert.deepEqual([...t.stages.keys()], [0]);
    assert.equal(t.target, 0);
    const byIndex = await plan(text, images, { target: '1' });
    assert.equal(byIndex.target, 1);
  });

  it('fails on an unknown target and a missing base image with the FROM line', async () => {
    await assert.rejects(plan('FROM alpine\n', images, { target: 'nope' }), /target stage "nope" could not be found/);
    await assert.rejects(plan('FROM alpine\nRUN x\nFROM missing:1\n', images),
      (e: Error) => e instanceof PlannerError && e.message === 'Dockerfile:3: base image missing:1: missing:1: not found');
    await assert.rejects(plan('FROM alpine\nCOPY --from=nope:2 /a /b\n', images),
      (e: Error) => e instanceof PlannerError && e.message === 'Dockerfile:2: image nope:2: nope:2: not found');
  });

  it('wires COPY --from a stage to its head and --from an image to a source op', async () => {
    const g = await plan('FROM golang AS build\nRUN go build\nFROM alpine\nCOPY --from=build /out /a\nCOPY --from=golang /usr/local/go /go\n', images);
    const build = opAt(g, 2);
    const c1 = opAt(g, 4);
    const c2 = opAt(g, 5);
    assert.ok(c1.kind === 'file' && c1.action.type === 'copy' && c2.kind === 'file' && c2.action.type === 'copy');
    assert.deepEqual(c1.action.from, { kind: 'op', op: build.id });
    assert.deepEqual(c1.deps, [build.id]);
    const src = g.ops.get(c2.deps[0]!)!;
    assert.equal(src.kind, 'source');
    assert.equal(src.kind === 'source' && src.ref, 'golang');
    const base = g.stages.get(0)!.base;
    assert.equal(base.kind === 'image' ? base.op : '', src.id, 'one source op per image');
  });

  it('resolves COPY destinations like BuildKit', () => {
    assert.equal(resolveDest('/app', '.'), '/app/');
    assert.equal(resolveDest('/app', 'src/'), '/app/src/');
    assert.equal(resolveDest('/app', 'file'), '/app/file');
    assert.equal(resolveDest('/app', '/abs'), '/abs');
    assert.equal(resolveDest('', 'x/../y/'), '/y/');
  });

  it('expands COPY fields with the ARGs they use and keeps heredoc sources', async () => {
    const text = 'FROM alpine\nARG SRC=app\nARG MODE=0755\nARG NOTUSED=1\nWORKDIR /w\n' +
      'COPY --chmod=$MODE --chown=1:1 --exclude=*.md $SRC/ ./\nCOPY <<EOF <<"RAW" /etc/\nv=$SRC\nEOF\nr=$SRC\nRAW\n';
    const g = await plan(text, images);
    const c = opAt(g, 6);
    assert.ok(c.kind === 'file' && c.action.type === 'copy');
    assert.deepEqual([c.action.sources, c.action.dest, c.action.chmod, c.action.chown, c.action.exclude],
      [['app/'], '/w/', '0755', '1:1', ['*.md']]);
    assert.deepEqual(c.args, { MODE: '0755', SRC: 'app' });
    const h = opAt(g, 7);
    assert.ok(h.kind === 'file' && h.action.type === 'copy');
    assert.deepEqual(h.action.inline, [{ name: 'EOF', data: 'v=app\n' }, { name: 'RAW', data: 'r=$SRC\n' }]);
    assert.deepEqual(h.action.sources, []);
  });

  it('keeps ADD specifics', async () => {
    const g = await plan('FROM alpine\nARG SUM=sha256:abc\nADD --checksum=$SUM --link https://example.invalid/x.tgz /x/\n', images);
    const a = opAt(g, 3);
    assert.ok(a.kind === 'file' && a.action.type === 'copy');
    assert.equal(a.action.add, true);
    assert.equal(a.action.checksum, 'sha256:abc');
    assert.equal(a.action.link, true);
  });

  it('wires RUN --mount from a stage and the context', async () => {
    const g = await plan('FROM alpine AS a\nRUN make\nFROM alpine\nRUN --mount=from=a,target=/m --mount=type=bind,target=/src --mount=type=cache,target=/c,id=$X x\n', images);
    const run = opAt(g, 4);
    assert.ok(run.kind === 'exec');
    assert.deepEqual(run.mounts.map((m) => [m.type, m.target, m.from]), [
      ['bind', '/m', { kind: 'op', op: opAt(g, 2).id }], ['bind', '/src', { kind: 'context' }], ['cache', '/c', null],
    ]);
    assert.deepEqual(run.deps, [opAt(g, 2).id]);
  });

  it('runs a RUN heredoc in the shell, or as a script file when it has #!', async () => {
    const g = await plan('FROM alpine\nRUN <<EOF\necho hi\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN cat <<A > /f\nx\nA\n', images);
    const [a, b, c] = opsOf(g, 'exec');
    assert.deepEqual(a!.argv, ['/bin/sh', '-c', 'echo hi\n']);
    assert.deepEqual(b!.argv, ['/bin/sh', '-c', '/dev/pipes/EOF']);
    assert.deepEqual(b!.files, [{ path: '/dev/pipes/EOF', data: '#!/usr/bin/env python3\nprint(1)\n', mode: 0o755 }]);
    assert.deepEqual(c!.argv, ['/bin/sh', '-c', 'cat <<A > /f\nx\nA']);
  });

  it('compiles identical ops once, even across stages', async () => {
    const g = await plan('FROM alpine AS a\nRUN apk add x\nRUN a\nFROM alpine AS b\nRUN apk add x\nRUN b\nFROM alpine\nCOPY --from=a /a /\nCOPY --from=b /b /\n', images);
    assert.equal(opsOf(g, 'exec').filter((o) => o.text === 'RUN apk add x').length, 1);
    assert.equal(opsOf(g, 'source').length, 1);
    assert.equal(opAt(g, 3).parent, opAt(g, 2).id);
    const b = opsOf(g, 'exec').find((o) => o.text === 'RUN b')!;
    assert.equal(b.parent, opAt(g, 2).id, 'stage b continues from the shared op');
  });

  it('continues a stage built FROM another stage from its head, config and history', async () => {
    const g = await plan('FROM alpine AS base\nENV A=1\nRUN one\nFROM base\nRUN two\n', images);
    const two = opAt(g, 5);
    assert.equal(two.parent, opAt(g, 3).id);
    assert.ok(two.kind === 'exec' && two.envList.includes('A=1'));
    assert.deepEqual(g.stages.get(1)!.config.history!.map((h) => h.created_by),
      ['ENV A=1', 'RUN /bin/sh -c one # buildkit', 'RUN /bin/sh -c two # buildkit']);
    assert.deepEqual(g.stages.get(1)!.base, { kind: 'stage', index: 0 });
  });
});
