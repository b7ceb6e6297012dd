import { strict as assert } from 'node:assert';
import { EXPANDED_FIELDS, isExpanded, parse, platformArgs, runScript, inlineFileData, toStages, type RunInstruction } from '../src/index.js';

const stages = (text: string, opts = {}) => toStages(parse(text), { buildPlatform: 'linux/amd64', ...opts });

describe('toStages', () => {
  it('expands FROM with global ARG defaults, build args overriding them', () => {
    const text = 'ARG TAG=3.18\nARG REPO=alpine\nARG FULL=${REPO}:${TAG}\nFROM $FULL\n';
    assert.equal(stages(text).stages[0]!.image, 'alpine:3.18');
    assert.equal(stages(text, { buildArgs: { TAG: '3.19' } }).stages[0]!.image, 'alpine:3.19');
    assert.equal(stages(text, { buildArgs: { FULL: 'busybox' } }).stages[0]!.image, 'busybox');
  });
  it('ignores build args that no global ARG declares', () => {
    assert.throws(() => stages('FROM ${IMG}\n', { buildArgs: { IMG: 'alpine' } }), /base name \(\$\{IMG\}\) should not be blank/);
  });
  it('provides the predefined platform ARGs to FROM', () => {
    const s = stages('FROM --platform=$BUILDPLATFORM alpine AS b\nFROM alpine:$TARGETARCH\n', { platform: 'linux/arm/v7' });
    assert.equal(s.stages[0]!.platform, 'linux/amd64');
    assert.equal(s.stages[1]!.image, 'alpine:arm');
    assert.deepEqual(platformArgs('linux/aarch64', 'x86_64'), {
      TARGETPLATFORM: 'linux/arm64', TARGETOS: 'linux', TARGETARCH: 'arm64', TARGETVARIANT: '',
      BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '',
    });
  });
  it('matches stage names case-insensitively and resolves --from by name, index or image', () => {
    const s = stages('FROM a AS One\nFROM one\nCOPY --from=ONE /a /a\nCOPY --from=0 /b /b\nCOPY --from=nginx /c /c\nRUN --mount=from=one,target=/m x\n');
    assert.deepEqual(s.stages[1]!.base, { kind: 'stage', index: 0 });
    const ins = s.stages[1]!.instructions;
    assert.deepEqual(ins.map((i) => (i.kind === 'COPY' ? i.from : null)).slice(0, 3), [
      { kind: 'stage', index: 0, name: 'one', raw: 'ONE' }, { kind: 'stage', index: 0, name: 'one', raw: '0' }, { kind: 'image', ref: 'nginx' }]);
    assert.deepEqual((ins[3] as RunInstruction).mounts[0]!.from, { kind: 'stage', index: 0, name: 'one', raw: 'one' });
  });
  it('keeps instruction words raw for the planner to expand', () => {
    const s = stages('FROM a\nENV A=1\nWORKDIR /x/$A\nCOPY $A /d\n');
    assert.deepEqual(s.stages[0]!.instructions.map((i) => ('path' in i ? i.path : i.kind === 'COPY' ? i.sources[0] : null)), [null, '/x/$A', '$A']);
    assert.ok(isExpanded('WORKDIR', 'path') && !isExpanded('CMD', 'command') && EXPANDED_FIELDS.EXPOSE[0]!.split);
  });
  it('resolves RUN heredocs the way BuildKit runs them', () => {
    const s = stages('FROM a\nRUN <<EOF\necho hi\nEOF\nRUN <<EOF\n#!/bin/python3\nprint(1)\nEOF\nRUN cat <<-A > f\n\tx\nA\n');
    const runs = s.stages[0]!.instructions as RunInstruction[];
    assert.deepEqual(runScript(runs[0]!), { command: { form: 'shell', script: 'echo hi\n' }, files: [] });
    assert.deepEqual(runScript(runs[1]!).files, [{ path: '/dev/pipes/EOF', data: '#!/bin/python3\nprint(1)\n', mode: 0o755 }]);
    assert.deepEqual(runScript(runs[2]!).command, { form: 'shell', script: 'cat <<-A > f\n\tx\nA' });
    assert.equal(inlineFileData(runs[2]!.heredocs[0]!), 'x\n');
  });
  it('returns ranges covering each stage', () => {
    const s = stages('ARG X\nFROM a\nRUN x\n\nFROM b\n');
    assert.deepEqual(s.stages.map((st) => [st.range.start.line, st.range.end.line]), [[2, 3], [5, 5]]);
    assert.equal(s.globalArgs.length, 1);
  });
});
