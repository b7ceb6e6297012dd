import { strict as assert } from 'node:assert';
import { lint, parse, RULES, type LintOptions } from '../src/index.js';

const rules = (text: string, opts: LintOptions = {}) => lint(parse(text), opts).map((d) => `${d.range.start.line} ${d.severity} ${d.rule}`);

describe('lint', () => {
  it('knows every rule the issue names', () => {
    for (const r of ['StageNameCasing', 'FromAsCasing', 'DuplicateStageName', 'ReservedStageName', 'JSONArgsRecommended',
      'MaintainerDeprecated', 'UndefinedVar', 'UndefinedArgInFrom', 'InvalidDefaultArgInFrom', 'LegacyKeyValueFormat',
      'WorkdirRelativePath', 'MultipleInstructionsDisallowed', 'ConsistentInstructionCasing', 'SecretsUsedInArgOrEnv',
      'RedundantTargetPlatform', 'CopyIgnoredFile', 'InvalidBaseImagePlatform']) assert.ok((RULES as readonly string[]).includes(r), r);
  });
  it('uses the base image env for UndefinedVar and inherits ENV from a parent stage', () => {
    const text = 'FROM alpine AS a\nENV FROM_A=1\nWORKDIR $HOME\nFROM a\nWORKDIR /$FROM_A/$HOME/$NOPE\n';
    assert.deepEqual(rules(text), ['3 warning UndefinedVar', '5 warning UndefinedVar', '5 warning UndefinedVar']);
    assert.deepEqual(rules(text, { imageEnv: (img) => (img === 'alpine' ? { HOME: '/root' } : undefined) }), ['5 warning UndefinedVar']);
  });
  it('does not report variables used with a default or alternative', () => {
    assert.deepEqual(rules('FROM a\nENV A=${X:-1} B=${Y+2}\n'), []);
    assert.deepEqual(rules('FROM alpine:${TAG:-3.19}\n'), []);
  });
  it('reports InvalidBaseImagePlatform when the resolved platform differs', () => {
    const opts: LintOptions = { platform: 'linux/amd64', imagePlatform: (img) => (img === 'arm-only' ? 'linux/arm64' : 'linux/amd64') };
    assert.deepEqual(rules('FROM arm-only\nFROM alpine\nFROM --platform=linux/arm64 arm-only\n', opts), ['1 warning InvalidBaseImagePlatform']);
  });
  it('honours options skip/error and # check=skip=all', () => {
    const text = 'FROM a AS B\nMAINTAINER x\n';
    assert.deepEqual(rules(text, { skip: ['MaintainerDeprecated'], error: true }), ['1 error StageNameCasing']);
    assert.deepEqual(rules('# check=skip=all\n' + text), []);
    assert.throws(() => rules('# check=bogus=1\nFROM a\n'), /Dockerfile:1:1: invalid check directive/);
  });
  it('reports ConsistentInstructionCasing against the majority', () => {
    assert.deepEqual(rules('from a\nrun x\nRUN y\n'), ['3 warning ConsistentInstructionCasing']);
  });
  it('flags secrets in ARG and ENV names but not PUBLIC ones', () => {
    assert.deepEqual(rules('FROM a\nARG GITHUB_TOKEN\nENV AWS_SECRET_ACCESS_KEY=x PUBLIC_KEY=y PASSWORD_FILE=/run/p\n'),
      ['2 warning SecretsUsedInArgOrEnv', '3 warning SecretsUsedInArgOrEnv', '3 warning SecretsUsedInArgOrEnv']);
  });
  it('CopyIgnoredFile follows .dockerignore exceptions and skips --from and URLs', () => {
    const ig = ['*.log', '!keep.log', 'build/**'];
    assert.deepEqual(rules('FROM a\nCOPY a.log keep.log build/x/y.o /d/\nCOPY --from=b a.log /d\nADD https://h/a.log /d\n', { dockerignore: ig }),
      ['2 warning CopyIgnoredFile', '2 warning CopyIgnoredFile']);
  });
});
