import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileError, expand, expandWords, lint, parse, runScript, toStages } from '../src/index.js';

/**
 * 20,000 byte-level and token-level mutations of the corpus: each must parse/toStages/lint in bounded time and
 * throw nothing but DockerfileError. Seeded, so a failure names a reproducible case.
 */
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/dockerfiles');
const corpus = ['good', 'bad'].flatMap((d) => readdirSync(path.join(fixtures, d)).filter((f) => f.endsWith('.Dockerfile'))
  .map((f) => readFileSync(path.join(fixtures, d, f))));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '\\', '\\\n', '`', '"', "'", '$', '${', '}', '${X:-', '${X/', '${X#', '[', ']', '["a", "b"]', '<<EOF', '<<-EOF', '<<"EOF"',
  'EOF\n', '\n', '\t', ' ', '#', '# escape=`\n', '# check=error=true\n', '--mount=type=cache,target=/x', '--from=0', '--',
  '--platform=$BUILDPLATFORM', '=', ',', 'FROM ', 'RUN ', 'COPY ', 'ONBUILD ', 'HEALTHCHECK ', 'ENV ', 'ARG ', ' AS x',
  '--constructor=x', '${constructor}', '\r', '\u00a0', '\uFEFF', '\u2028', '\x00', '3<<A', 'A\n',
];

function mutate(src: Buffer, r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  let b = Buffer.from(src);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 8)) {
      case 0: if (b.length) b[Math.min(pos, b.length - 1)] = Math.floor(r() * 256); break; // random byte
      case 1: b = Buffer.concat([b.subarray(0, pos), Buffer.from([Math.floor(r() * 256)]), b.subarray(pos)]); break;
      case 2: b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + Math.floor(r() * 8)))]); break;
      case 3: case 4: b = Buffer.concat([b.subarray(0, pos), Buffer.from(pick(TOKENS)), b.subarray(pos)]); break;
      case 5: { // duplicate or drop a line
        const lines = b.toString('latin1').split('\n');
        const i = Math.floor(r() * lines.length);
        if (r() < 0.5) lines.splice(i, 0, lines[i]!); else lines.splice(i, 1);
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 6: { // swap two lines
        const lines = b.toString('latin1').split('\n');
        const i = Math.floor(r() * lines.length);
        const j = Math.floor(r() * lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      default: // splice in a piece of another corpus file
        {
          const o = pick(corpus);
          const s = Math.floor(r() * o.length);
          b = Buffer.concat([b.subarray(0, pos), o.subarray(s, s + Math.floor(r() * 80)), b.subarray(pos)]);
        }
    }
  }
  return new TextDecoder('utf-8').decode(b);
}

function exercise(text: string): void {
  const tree = parse(text);
  for (const n of tree.instructions) {
    for (const a of n.args) {
      try {
        expand(a.value, { A: 'x' }, { escape: tree.escape });
        expandWords(a.value, new Map([['A', 'a b']]), { escape: tree.escape });
      } catch (e) {
        if (!(e instanceof DockerfileError)) throw e;
      }
    }
  }
  lint(tree, { dockerignore: ['*.md', '!README.md', '**/secret*', '[a-'] });
  const st = toStages(tree, { buildArgs: { A: '1' }, platform: 'linux/arm64', buildPlatform: 'linux/amd64' });
  for (const s of st.stages) for (const i of s.instructions) if (i.kind === 'RUN') runScript(i);
}

describe('fuzz: 20,000 mutations of the corpus', function () {
  this.timeout(120_000);
  // The per-input bound is CPU time of this process (process.cpuUsage), not wall time: on a loaded machine a
  // runnable process can wait hundreds of milliseconds for a core, which says nothing about the parser.
  it('throw only DockerfileError, each within 500 ms of CPU, whole run within 60 s', () => {
    const r = rng(0x5eed);
    const started = Date.now();
    let worst = 0;
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = mutate(corpus[i % corpus.length]!, r);
      const c0 = process.cpuUsage();
      try {
        exercise(text);
      } catch (e) {
        if (!(e instanceof DockerfileError)) {
          throw new Error(`mutation #${i} threw ${(e as Error)?.name}: ${(e as Error)?.message}\n${JSON.stringify(text)}`);
        }
        assert.doesNotMatch(e.message, /\n/, `mutation #${i}: multi-line error`);
        errors++;
      }
      const c = process.cpuUsage(c0);
      const dt = (c.user + c.system) / 1000;
      if (dt > worst) worst = dt;
      assert.ok(dt < 500, `mutation #${i} took ${dt.toFixed(1)} ms of CPU\n${JSON.stringify(text)}`);
    }
    assert.ok(Date.now() - started < 60_000, `run took ${Date.now() - started} ms (slowest input ${worst.toFixed(1)} ms CPU)`);
    assert.ok(errors > 1000 && errors < 20_000, `mutations should both fail and pass (errors: ${errors})`);
  });
  it('survives arbitrary random bytes', () => {
    const r = rng(42);
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)));
      try {
        exercise('FROM a\n' + new TextDecoder().decode(bytes));
      } catch (e) {
        if (!(e instanceof DockerfileError)) throw new Error(`random #${i}: ${(e as Error).message}`);
      }
    }
  });
});
