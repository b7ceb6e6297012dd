import { strict as assert } from 'node:assert';
import { progressRenderer } from '../src/progress/index.js';
import type { StepEvent } from '../src/progress/types.js';

const base = { op: 'op1', line: 3, text: 'RUN make', stage: 'build' };
const events: StepEvent[] = [
  { ...base, type: 'start' },
  { ...base, type: 'miss', key: 'sha256:1', reason: 'RUN line 3: ARG V 1 → 2' },
  { ...base, type: 'log', stream: 'stdout', data: 'line one\nline ' },
  { ...base, type: 'log', stream: 'stdout', data: 'two\n' },
  { ...base, type: 'end', cached: false, durationMs: 1500 },
  { op: 'op2', line: 4, text: 'COPY . /app', stage: 'build', type: 'start' },
  { op: 'op2', line: 4, text: 'COPY . /app', stage: 'build', type: 'cached', key: 'sha256:2' },
  { op: 'op2', line: 4, text: 'COPY . /app', stage: 'build', type: 'end', cached: true, durationMs: 1 },
];

function render(mode: string, isTty = false): string {
  let out = '';
  const r = progressRenderer(mode, (s) => (out += s), isTty);
  for (const e of events) r.event(e);
  r.warn('a warning');
  r.done('built it');
  return out;
}

describe('build progress renderers', () => {
  it('plain: one line per event, logs whole and in order, with step numbers', () => {
    assert.equal(render('plain'), [
      '#1 [build] RUN make (line 3)',
      '#1 cache miss: RUN line 3: ARG V 1 → 2',
      '#1 line one',
      '#1 line two',
      '#1 DONE 1.5s',
      '#2 [build] COPY . /app (line 4)',
      '#2 CACHED',
      'WARNING: a warning',
      'built it',
      '',
    ].join('\n'));
  });

  it('json: one parseable event per line with the Dockerfile line', () => {
    const lines = render('json').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => l.type), ['start', 'miss', 'log', 'log', 'end', 'start', 'cached', 'end', 'warning', 'done']);
    assert.equal(lines[1]!.reason, 'RUN line 3: ARG V 1 → 2');
    assert.ok(lines.slice(0, 8).every((l) => typeof l.line === 'number' && typeof l.time === 'string'));
  });

  it('tty: a redrawn view that ends with every step done or CACHED', () => {
    const out = render('tty', true);
    const lastFrame = out.slice(out.lastIndexOf('\x1b[J') + 3);
    assert.match(lastFrame, /#1 \[build\] RUN make \(line 3\) +1\.5s\n/);
    assert.match(lastFrame, /#2 \[build\] COPY \. \/app \(line 4\) +CACHED\n/);
    assert.match(out, /WARNING: a warning\n/);
    assert.match(out, /built it\n$/);
  });

  it('auto picks tty on a terminal and plain elsewhere; an unknown mode is an error', () => {
    assert.match(render('auto', false), /^#1 \[build\]/);
    assert.throws(() => progressRenderer('fancy', () => {}, false), /--progress fancy/);
  });
});
