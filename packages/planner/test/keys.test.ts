import { strict as assert } from 'node:assert';
import { KEY_VERSION, MemoryCacheIndex, cacheKey, differences, solve, type Graph } from '../src/index.js';
import { FakeRunner, collector, fakeChecksum, type FakeContext } from './fakes.js';
import { DIGEST, plan, type FakeImages } from './helpers.js';

const ctx: FakeContext = { 'src/app.js': { content: 'app' }, 'src/lib.js': { content: 'lib' }, 'README.md': { content: 'r' } };

/** Keys of the solved ops by Dockerfile line. */
async function keys(g: Graph, context: FakeContext = ctx): Promise<Map<number, string>> {
  const r = await solve(g, new FakeRunner(), new MemoryCacheIndex<string>(), () => {}, { sourceChecksum: fakeChecksum(context) });
  const out = new Map<number, string>();
  for (const [id, o] of r.outcomes) out.set(g.ops.get(id)!.line, o.key);
  return out;
}

const images: FakeImages = { alpine: { config: { Env: ['PATH=/bin'] } } };
const DF = 'FROM alpine\nARG V=1\nLABEL l=1\nCOPY src/ /src/\nRUN build $V\nENV E=1\nRUN test\n';

describe('planner keys', () => {
  it('are stable and ignore where the instruction sits in the file', async () => {
    const a = await keys(await plan(DF, images));
    const b = await keys(await plan(DF, images));
    assert.deepEqual([...a], [...b]);
    const shifted = await keys(await plan('# a comment\n\n' + DF, images));
    assert.deepEqual([...shifted.values()], [...a.values()]);
    for (const k of a.values()) assert.match(k, /^sha256:[0-9a-f]{64}$/);
  });

  it('change exactly when an input of the op or of an ancestor changes', async () => {
    const base = await keys(await plan(DF, images));
    const label = await keys(await plan(DF.replace('l=1', 'l=2'), images));
    assert.deepEqual([...label.values()], [...base.values()], 'a LABEL changes no filesystem step');

    const arg = await keys(await plan(DF, images, { buildArgs: { V: '2' } }));
    assert.equal(arg.get(4), base.get(4), 'COPY does not use V');
    assert.notEqual(arg.get(5), base.get(5), 'RUN sees V');
    assert.notEqual(arg.get(7), base.get(7), 'and everything after it changes');

    const env = await keys(await plan(DF.replace('E=1', 'E=2'), images));
    assert.deepEqual([env.get(4), env.get(5)], [base.get(4), base.get(5)]);
    assert.notEqual(env.get(7), base.get(7));

    const content = await keys(await plan(DF, images), { ...ctx, 'src/lib.js': { content: 'LIB' } });
    assert.notEqual(content.get(4), base.get(4));
    const outside = await keys(await plan(DF, images), { ...ctx, 'README.md': { content: 'changed' } });
    assert.deepEqual([...outside.values()], [...base.values()], 'a file the COPY does not read changes nothing');

    const image = await keys(await plan(DF, { alpine: { ...images.alpine, digest: DIGEST('c') } }));
    for (const line of base.keys()) assert.notEqual(image.get(line), base.get(line), `line ${line} depends on the base digest`);
  });

  it('drop the source mode with --chmod and the owner with --chown', async () => {
    const moded: FakeContext = { ...ctx, 'src/app.js': { content: 'app', mode: 0o755 } };
    const owned: FakeContext = { ...ctx, 'src/app.js': { content: 'app', uid: 1000 } };
    const plain = await plan('FROM alpine\nCOPY src/ /src/\n', images);
    assert.notEqual((await keys(plain, moded)).get(2), (await keys(plain, ctx)).get(2));
    assert.notEqual((await keys(plain, owned)).get(2), (await keys(plain, ctx)).get(2));
    const chmod = await plan('FROM alpine\nCOPY --chmod=644 src/ /src/\n', images);
    assert.equal((await keys(chmod, moded)).get(2), (await keys(chmod, ctx)).get(2));
    assert.notEqual((await keys(chmod, owned)).get(2), (await keys(chmod, ctx)).get(2));
    const chown = await plan('FROM alpine\nCOPY --chown=app src/ /src/\n', images);
    assert.equal((await keys(chown, owned)).get(2), (await keys(chown, ctx)).get(2));
    assert.notEqual((await keys(chown, moded)).get(2), (await keys(chown, ctx)).get(2));
    assert.notEqual((await keys(chmod, ctx)).get(2), (await keys(plain, ctx)).get(2), 'the flag itself is part of the op');
  });

  it('make COPY --link independent of the steps before it', async () => {
    const a = await keys(await plan('FROM alpine\nRUN one\nCOPY --link src/ /src/\n', images));
    const b = await keys(await plan('FROM alpine\nRUN two\nCOPY --link src/ /src/\n', images));
    assert.notEqual(a.get(2), b.get(2));
    assert.equal(a.get(3), b.get(3));
    const byId = (run: string) => plan(`FROM alpine\nRUN ${run}\nCOPY --link --chown=1000:1000 src/ /src/\n`, images);
    assert.equal((await keys(await byId('one'))).get(3), (await keys(await byId('two'))).get(3), 'numeric owner: still independent');
    const byName = (run: string) => plan(`FROM alpine\nRUN ${run}\nCOPY --link --chown=app src/ /src/\n`, images);
    assert.notEqual((await keys(await byName('one'))).get(3), (await keys(await byName('two'))).get(3),
      'a user name is resolved in the files before it');
  });

  it('ignore proxy settings, as BuildKit does', async () => {
    const a = await keys(await plan('FROM alpine\nRUN curl x\n', images, { buildArgs: { HTTPS_PROXY: 'http://a' } }));
    const b = await keys(await plan('FROM alpine\nRUN curl x\n', images, { buildArgs: { HTTPS_PROXY: 'http://b' } }));
    assert.equal(a.get(2), b.get(2));
  });

  it('carry the scheme version: a pre-image of another version never gives the same key', async () => {
    const g = await plan('FROM alpine\nRUN x\n', images);
    const r = await solve(g, new FakeRunner(), new MemoryCacheIndex<string>(), collector().sink);
    const o = [...r.outcomes.values()].at(-1)!;
    assert.equal(o.preImage.v, KEY_VERSION);
    assert.equal(cacheKey(o.preImage), o.key);
    const older = { ...o.preImage, v: KEY_VERSION - 1 };
    assert.notEqual(cacheKey(older), o.key);
    assert.deepEqual(differences(g.ops.get(r.head!)!, o.preImage, older), [`cache key scheme v${KEY_VERSION - 1} → v${KEY_VERSION}`]);
  });
});
