import { strict as assert } from 'node:assert';
import { PlannerError } from '../src/index.js';
import { opAt, opsOf, plan } from './helpers.js';

const cfgOf = async (text: string, images?: Parameters<typeof plan>[1]) => {
  const g = await plan(text, images);
  return g.stages.get(g.target)!.config.config!;
};

describe('planner compile: image config instructions', () => {
  it('drops a CMD inherited from the base when ENTRYPOINT is set, keeps one set in the stage', async () => {
    assert.equal((await cfgOf('FROM alpine\nENTRYPOINT ["app"]\n')).Cmd, null);
    const kept = await cfgOf('FROM alpine\nCMD ["--help"]\nENTRYPOINT ["app"]\n');
    assert.deepEqual(kept.Cmd, ['--help']);
    assert.deepEqual(kept.Entrypoint, ['app']);
    assert.deepEqual((await cfgOf('FROM alpine\nLABEL a=b\n')).Cmd, ['/bin/sh'], 'base CMD stays otherwise');
  });

  it('uses SHELL for shell-form RUN, CMD and ENTRYPOINT after it', async () => {
    const g = await plan('FROM alpine\nRUN a\nSHELL ["/bin/bash", "-euo", "pipefail", "-c"]\nRUN b\nCMD b c\nENTRYPOINT exec e\n');
    const a = opAt(g, 2);
    const b = opAt(g, 4);
    assert.ok(a.kind === 'exec' && b.kind === 'exec');
    assert.deepEqual(a.argv, ['/bin/sh', '-c', 'a']);
    assert.deepEqual(b.argv, ['/bin/bash', '-euo', 'pipefail', '-c', 'b']);
    const cfg = g.stages.get(0)!.config.config!;
    assert.deepEqual(cfg.Shell, ['/bin/bash', '-euo', 'pipefail', '-c']);
    assert.deepEqual(cfg.Cmd, ['/bin/bash', '-euo', 'pipefail', '-c', 'b c']);
    assert.deepEqual(cfg.Entrypoint, ['/bin/bash', '-euo', 'pipefail', '-c', 'exec e']);
  });

  it('honours a SHELL from the base image config', async () => {
    const g = await plan('FROM pwsh\nRUN x\n', { pwsh: { config: { Shell: ['pwsh', '-Command'] } } });
    const run = opAt(g, 2);
    assert.ok(run.kind === 'exec');
    assert.deepEqual(run.argv, ['pwsh', '-Command', 'x']);
  });

  it('resolves WORKDIR against the previous one, creates it with the current USER, and runs there', async () => {
    const g = await plan('FROM alpine\nUSER app\nWORKDIR /srv\nWORKDIR ${SUB:-web}/../www\nRUN pwd\nWORKDIR /\n');
    const mk = opsOf(g, 'file').map((o) => o.action);
    assert.deepEqual(mk, [
      { type: 'mkdir', path: '/srv', mode: 0o755, user: 'app' },
      { type: 'mkdir', path: '/srv/www', mode: 0o755, user: 'app' },
    ]);
    const run = opAt(g, 5);
    assert.ok(run.kind === 'exec');
    assert.equal(run.cwd, '/srv/www');
    assert.equal(run.user, 'app');
    assert.equal(opAt(g, 6).kind, 'config', 'WORKDIR / needs no mkdir');
    assert.equal(g.stages.get(0)!.config.config!.WorkingDir, '/');
  });

  it('normalizes EXPOSE, VOLUME, STOPSIGNAL, LABEL, USER, HEALTHCHECK with expansion', async () => {
    const cfg = await cfgOf([
      'FROM alpine', 'ARG P=8080', 'EXPOSE 80 $P/UDP 9000-9002', 'VOLUME ["/data", "/$P"]', 'VOLUME /logs',
      'STOPSIGNAL SIGINT', 'LABEL "com.x"="y z" v=$P', 'USER 1000:1000',
      'HEALTHCHECK --interval=5s --retries=2 CMD curl -f http://localhost/ || exit 1',
    ].join('\n') + '\n');
    assert.deepEqual(Object.keys(cfg.ExposedPorts!).sort(), ['80/tcp', '8080/udp', '9000/tcp', '9001/tcp', '9002/tcp']);
    assert.deepEqual(Object.keys(cfg.Volumes!).sort(), ['/8080', '/data', '/logs']);
    assert.equal(cfg.StopSignal, 'SIGINT');
    assert.deepEqual(cfg.Labels, { 'com.x': 'y z', v: '8080' });
    assert.equal(cfg.User, '1000:1000');
    assert.deepEqual(cfg.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 5e9, Retries: 2 });
    assert.deepEqual((await cfgOf('FROM alpine\nHEALTHCHECK NONE\n')).Healthcheck, { Test: ['NONE'] });
  });

  it('writes history entries in BuildKit\'s words', async () => {
    const g = await plan([
      'FROM alpine', 'EXPOSE 8080/udp 80', 'VOLUME ["/data", "/logs"]', 'SHELL ["/bin/bash", "-c"]',
      'HEALTHCHECK --interval=90s --timeout=1500ms --retries=3 CMD ["curl", "-f", "x"]', 'ONBUILD RUN x',
      'CMD ["a", "b c"]', 'COPY --from=alpine --link --chown=1:2 --chmod=600 a b* ./dst/', 'USER me',
    ].join('\n') + '\n');
    const h = g.stages.get(0)!.config.history!.map((e) => e.created_by);
    assert.deepEqual(h, [
      'EXPOSE map[80/tcp:{} 8080/udp:{}]', 'VOLUME [/data /logs]', 'SHELL [/bin/bash -c]',
      'HEALTHCHECK &{["CMD" "curl" "-f" "x"] "1m30s" "1.5s" "0s" "0s" \'\\x03\'}',
      'CMD ["a" "b c"]', 'COPY --chown=1:2 --chmod=600 a b* ./dst/ # buildkit', 'USER me',
    ]);
    assert.equal(g.stages.get(0)!.config.config!.ArgsEscaped, true);
    assert.deepEqual(g.stages.get(0)!.config.config!.OnBuild, ['RUN x'], 'ONBUILD is recorded, without history');
    const plan0 = g.stages.get(0)!;
    assert.deepEqual(plan0.config.history!.slice(-plan0.steps.length), plan0.steps.map((s) => s.history), 'history ends with the steps');
  });

  it('rejects a bad EXPOSE or STOPSIGNAL with its line', async () => {
    await assert.rejects(plan('FROM alpine\n\nEXPOSE 80/tcp/x\n'), (e: Error) => e instanceof PlannerError && e.message.startsWith('Dockerfile:3:'));
    await assert.rejects(plan('FROM alpine\nSTOPSIGNAL "kill me"\n'), (e: Error) => e instanceof PlannerError && e.message.startsWith('Dockerfile:2:'));
  });

  it('runs the base image ONBUILD triggers right after FROM and consumes them', async () => {
    const images = { onb: { config: { Env: ['PATH=/bin'], OnBuild: ['ENV FROM_TRIGGER=1', 'RUN echo triggered'] } } };
    const g = await plan('FROM alpine\nRUN first\nFROM onb\nRUN mine\nONBUILD RUN later\n', images);
    const stage = g.stages.get(1)!;
    const texts = stage.steps.map((s) => g.ops.get(s.op)!.text);
    assert.deepEqual(texts, ['ENV FROM_TRIGGER=1', 'RUN echo triggered', 'RUN mine'], 'ONBUILD adds no history, so no step');
    assert.deepEqual(stage.steps.slice(0, 2).map((s) => g.ops.get(s.op)!.line), [3, 3], 'triggers report the FROM line');
    assert.deepEqual(stage.config.config!.OnBuild, ['RUN later']);
    const mine = opAt(g, 4);
    assert.ok(mine.kind === 'exec');
    assert.ok(mine.envList.includes('FROM_TRIGGER=1'));
  });

  it('runs ONBUILD of an earlier stage in a stage built FROM it', async () => {
    const g = await plan('FROM alpine AS base\nONBUILD RUN echo child\nFROM base\nRUN own\n');
    const steps = g.stages.get(1)!.steps.map((s) => g.ops.get(s.op)!.text);
    assert.deepEqual(steps, ['RUN echo child', 'RUN own']);
    assert.equal(g.stages.get(1)!.config.config!.OnBuild, null);
  });

  it('records one history entry per instruction after the base history, empty_layer where no layer', async () => {
    const base = { config: { Env: ['PATH=/bin'] }, history: [{ created_by: 'base layer' }] };
    const g = await plan('FROM b\nENV A=1\nRUN x\nCOPY a /a\nWORKDIR /w\nCMD ["a", "b"]\nMAINTAINER me\n', { b: base });
    const h = g.stages.get(0)!.config.history!;
    assert.deepEqual(h.map((e) => [e.created_by, e.empty_layer === true]), [
      ['base layer', false], ['ENV A=1', true], ['RUN /bin/sh -c x # buildkit', false], ['COPY a /a # buildkit', false],
      ['WORKDIR /w', false], ['CMD ["a" "b"]', true], ['MAINTAINER me', true],
    ]);
    assert.equal(g.stages.get(0)!.config.author, 'me');
    assert.ok(h.slice(1).every((e) => e.comment === 'buildkit.dockerfile.v0'));
  });

  it('starts FROM scratch with the default PATH and the target platform', async () => {
    const g = await plan('FROM scratch\nCOPY a /\n', undefined, { platform: 'linux/arm/v7' });
    const c = g.stages.get(0)!.config;
    assert.deepEqual(c.config!.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.deepEqual([c.os, c.architecture, c.variant], ['linux', 'arm', 'v7']);
    assert.equal(g.stages.get(0)!.base.kind, 'scratch');
    assert.equal(opAt(g, 2).parent, null);
  });
});
