import { strict as assert } from 'node:assert';
import { parse, StageScope, toStages } from '../src/index.js';

function run(text: string, buildArgs: Record<string, string> = {}, baseEnv: Record<string, string> = { PATH: '/usr/bin' }) {
  const st = toStages(parse(text), { buildArgs, platform: 'linux/arm64', buildPlatform: 'linux/amd64' });
  const scope = new StageScope(st, { buildArgs, baseEnv });
  const seen: string[] = [];
  for (const ins of st.stages.at(-1)!.instructions) {
    if (ins.kind === 'WORKDIR') seen.push(scope.expand(ins.path));
    scope.apply(ins);
  }
  return { scope, seen };
}

describe('StageScope (ARG/ENV scoping)', () => {
  it('a global ARG is visible in a stage only after ARG re-declares it', () => {
    const { seen } = run('ARG V=1\nFROM a\nWORKDIR /x$V\nARG V\nWORKDIR /y$V\n');
    assert.deepEqual(seen, ['/x', '/y1']);
  });
  it('build args override ARG defaults, global and in stage', () => {
    const { seen } = run('ARG G=g\nFROM a\nARG G\nARG L=l\nWORKDIR /$G/$L\n', { G: 'G2', L: 'L2' });
    assert.deepEqual(seen, ['/G2/L2']);
  });
  it('ENV wins over an ARG of the same name, before or after it', () => {
    assert.deepEqual(run('FROM a\nARG A=arg\nENV A=env\nWORKDIR /$A\n', { A: 'build' }).seen, ['/env']);
    assert.deepEqual(run('FROM a\nENV A=env\nARG A=arg\nWORKDIR /$A\n').seen, ['/env']);
  });
  it('expands an instruction with the variables from before it', () => {
    const { scope } = run('FROM a\nENV A=1\nENV A=2 B=$A\n');
    assert.deepEqual([...scope.env], [['PATH', '/usr/bin'], ['A', '2'], ['B', '1']]);
  });
  it('brings in the predefined platform ARGs on declaration', () => {
    const { seen, scope } = run('FROM a\nARG TARGETARCH\nARG BUILDOS\nWORKDIR /$TARGETARCH/$BUILDOS/$PATH\n');
    assert.deepEqual(seen, ['/arm64/linux//usr/bin']);
    assert.equal(scope.env.has('TARGETARCH'), false, 'ARGs never enter the image ENV');
  });
  it('starts from the base ENV and keeps declared-but-unset ARGs unset', () => {
    const { seen, scope } = run('FROM a\nARG NOVAL\nWORKDIR /${NOVAL:-unset}$HOME\n', {}, { HOME: '/root' });
    assert.deepEqual(seen, ['/unset/root']);
    assert.ok(scope.declared.has('NOVAL') && !scope.args.has('NOVAL'));
  });
  it('gives RUN the proxy build args without an ARG declaration', () => {
    const { scope } = run('FROM a\nARG X=1\nENV Y=2\n', { HTTP_PROXY: 'http://p:3128', OTHER: 'no' });
    assert.deepEqual([...scope.runEnv()], [['HTTP_PROXY', 'http://p:3128'], ['X', '1'], ['PATH', '/usr/bin'], ['Y', '2']]);
  });
});
