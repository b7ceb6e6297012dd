#!/usr/bin/env node
// Parse benchmark: strata's parse + toStages + lint against dockerfile-ast's parse of the same text, same run.
// In-memory only (no files are read), so no filesystem enters the numbers. Usage: node benchmarks/parse/run.mjs
import { DockerfileParser } from 'dockerfile-ast';
import { lint, parse, toStages } from '../../packages/dockerfile/dist/src/index.js';
import { bigDockerfile, variedDockerfiles } from './gen.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 7);

function strata(texts) {
  for (const t of texts) {
    const tree = parse(t);
    toStages(tree, { platform: 'linux/amd64', buildPlatform: 'linux/amd64' });
    lint(tree, { platform: 'linux/amd64', buildPlatform: 'linux/amd64' });
  }
}
function strataParseOnly(texts) {
  for (const t of texts) parse(t);
}
function dockerfileAst(texts) {
  for (const t of texts) DockerfileParser.parse(t).getInstructions();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time of `fn(texts)` over ROUNDS rounds, contenders interleaved so drift hits both alike. */
function measure(fns, texts) {
  for (const fn of Object.values(fns)) fn(texts); // warm-up (JIT)
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      const t0 = process.hrtime.bigint();
      fn(texts);
      times[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

const cases = [
  ['5,000-instruction Dockerfile', [bigDockerfile(5000)]],
  ['1,000 varied Dockerfiles', variedDockerfiles(1000)],
];
let worst = 0;
for (const [name, texts] of cases) {
  const mb = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6;
  const t = measure({ strata, strataParseOnly, dockerfileAst }, texts);
  const ratio = t.strata / t.dockerfileAst;
  worst = Math.max(worst, ratio);
  console.log(`${name}: ${mb.toFixed(2)} MB`);
  console.log(`  strata parse+toStages+lint  ${t.strata.toFixed(1).padStart(8)} ms  ${(mb / (t.strata / 1000)).toFixed(1).padStart(6)} MB/s`);
  console.log(`  strata parse only           ${t.strataParseOnly.toFixed(1).padStart(8)} ms  ${(mb / (t.strataParseOnly / 1000)).toFixed(1).padStart(6)} MB/s`);
  console.log(`  dockerfile-ast parse        ${t.dockerfileAst.toFixed(1).padStart(8)} ms  ${(mb / (t.dockerfileAst / 1000)).toFixed(1).padStart(6)} MB/s`);
  console.log(`  ratio strata / dockerfile-ast: ${ratio.toFixed(2)}x (target < 2x)`);
}
console.log(`worst ratio ${worst.toFixed(2)}x: ${worst < 2 ? 'within' : 'OVER'} the 2x target`);
process.exitCode = worst < 2 ? 0 : 1;
