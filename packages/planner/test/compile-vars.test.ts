import { strict as assert } from 'node:assert';
import { DEFAULT_PATH } from '../src/index.js';
import { envOf, opAt, plan } from './helpers.js';

describe('planner compile: ARG and ENV', () => {
  it('sees ENV of the base image in expansions and in RUN', async () => {
    const g = await plan('FROM base\nENV B=$A/x\nRUN echo\nCOPY $A /dst/\n', { base: { config: { Env: ['PATH=/p', 'A=from-base'] } } });
    const run = opAt(g, 3);
    assert.deepEqual(envOf(run), { PATH: '/p', A: 'from-base', B: 'from-base/x' });
    const copy = opAt(g, 4);
    assert.ok(copy.kind === 'file' && copy.action.type === 'copy');
    assert.deepEqual(copy.action.sources, ['from-base']);
    assert.deepEqual(copy.env, { A: 'from-base' }, 'COPY records exactly the ENV it used');
  });

  it('expands all pairs of one ENV against the environment before it', async () => {
    const g = await plan('FROM scratch\nENV A=1\nENV A=2 B=$A\nRUN x\n');
    assert.deepEqual(envOf(opAt(g, 4)), { PATH: DEFAULT_PATH, A: '2', B: '1' });
  });

  it('scopes ARGs: globals only in FROM unless redeclared, build args override defaults', async () => {
    const text = [
      'ARG TAG=3.19', 'ARG GLOBAL=g', 'FROM alpine', 'RUN echo 1', 'ARG GLOBAL', 'ARG LOCAL=l-$GLOBAL', 'ARG UNSET',
      'RUN echo 2', 'FROM alpine', 'RUN echo 3', 'COPY --from=0 /x /x',
    ].join('\n');
    const g = await plan(text + '\n');
    assert.deepEqual(envOf(opAt(g, 4)), { PATH: '/usr/bin:/bin' }, 'no ARG visible before declaration');
    assert.deepEqual(envOf(opAt(g, 8)), { PATH: '/usr/bin:/bin', GLOBAL: 'g', LOCAL: 'l-g' }, 'unset ARG is not in env');
    assert.deepEqual(opAt(g, 8).args, { GLOBAL: 'g', LOCAL: 'l-g' });
    assert.deepEqual(envOf(opAt(g, 10)), { PATH: '/usr/bin:/bin' }, 'ARGs end with their stage');
    const over = await plan(text + '\n', undefined, { buildArgs: { GLOBAL: 'G', LOCAL: 'L', UNSET: 'U', OTHER: 'o', no_proxy: 'x' } });
    assert.deepEqual(envOf(opAt(over, 8)), { PATH: '/usr/bin:/bin', GLOBAL: 'G', LOCAL: 'L', UNSET: 'U' });
    assert.deepEqual(over.unusedBuildArgs, ['OTHER'], 'undeclared build args are reported; proxies never are');
  });

  it('lets the later of ENV and ARG decide a name, keeping ENV alone in the image config', async () => {
    // BuildKit adds both to one state env: an ENV after an ARG wins (the documented case), and an ARG
    // redeclared with a value after the ENV wins for the steps after it, though the config keeps the ENV.
    const g = await plan('FROM alpine\nARG X=arg\nENV X=env\nRUN one\nARG X=again\nRUN two\nCOPY $X /\n');
    assert.equal(envOf(opAt(g, 4)).X, 'env');
    assert.deepEqual(opAt(g, 4).env.X, 'env');
    assert.equal(envOf(opAt(g, 6)).X, 'again');
    assert.deepEqual(opAt(g, 6).args, { X: 'again' });
    const copy = opAt(g, 7);
    assert.ok(copy.kind === 'file' && copy.action.type === 'copy');
    assert.deepEqual(copy.action.sources, ['again']);
    assert.ok(g.stages.get(0)!.config.config!.Env!.includes('X=env'));
  });

  it('provides the predefined platform ARGs after ARG declares them', async () => {
    const g = await plan('FROM alpine\nRUN a\nARG TARGETARCH\nARG TARGETPLATFORM\nARG BUILDOS\nRUN b\n', undefined, { platform: 'linux/arm64' });
    assert.equal(envOf(opAt(g, 2)).TARGETARCH, undefined);
    const env = envOf(opAt(g, 6));
    assert.equal(env.TARGETARCH, 'arm64');
    assert.equal(env.TARGETPLATFORM, 'linux/arm64');
    assert.equal(env.BUILDOS, 'linux');
  });

  it('passes proxy build args to RUN without declaring them and keeps them out of args', async () => {
    const g = await plan('FROM alpine\nRUN x\n', undefined, { buildArgs: { HTTP_PROXY: 'http://p:3128', FOO: 'bar' } });
    const run = opAt(g, 2);
    assert.ok(run.kind === 'exec');
    assert.deepEqual(run.proxyEnv, ['HTTP_PROXY=http://p:3128']);
    assert.equal(envOf(run).HTTP_PROXY, undefined);
    assert.equal(envOf(run).FOO, undefined, 'an undeclared build arg is invisible');
  });

  it('writes RUN history with the ARGs it sees, BuildKit style', async () => {
    const g = await plan('FROM alpine\nARG A=1\nARG B=2\nRUN make\n');
    const steps = g.stages.get(0)!.steps;
    assert.equal(steps[2]!.history.created_by, 'RUN |2 A=1 B=2 /bin/sh -c make # buildkit');
    assert.equal(steps[0]!.history.created_by, 'ARG A=1');
    assert.equal(steps[0]!.history.empty_layer, true);
    const unset = await plan('FROM alpine\nARG A\nENV B=x\nARG B=y\nARG C=3\nENV C=env\nRUN make\n');
    assert.equal(unset.stages.get(0)!.steps.at(-1)!.history.created_by,
      'RUN |3 A= B=y C=env /bin/sh -c make # buildkit', 'every declared ARG, with the value the process sees');
  });
});
