import { strict as assert } from 'node:assert';
import { MemoryCacheIndex, StepError, solve, type SolveEvent } from '../src/index.js';
import { FakeRunner, collector, fakeChecksum, type FakeContext } from './fakes.js';
import { plan, type FakeImages } from './helpers.js';

const images: FakeImages = { alpine: { config: { Env: ['PATH=/bin'] } } };
const ctx: FakeContext = { 'src/app.js': { content: 'v1' }, 'src/util.js': { content: 'u' } };
const THREE = 'FROM alpine AS a\nRUN work a\nFROM alpine AS b\nRUN work b\nFROM alpine AS c\nRUN work c\n' +
  'FROM alpine\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nCOPY --from=c /c /c\n';

const reasons = (events: SolveEvent[]) => events.flatMap((e) => (e.type === 'miss' ? [e.reason] : []));

describe('planner solve', () => {
  it('runs independent stages in parallel, bounded by the queue', async () => {
    const g = await plan(THREE, images);
    const wide = new FakeRunner(80);
    await solve(g, wide, new MemoryCacheIndex<string>(), () => {}, { concurrency: 4 });
    // Peak concurrency, not wall time, is the evidence: timings lie on a loaded machine.
    assert.equal(wide.peak, 3, 'the three RUNs overlap');
    const narrow = new FakeRunner(20);
    await solve(g, narrow, new MemoryCacheIndex<string>(), () => {}, { concurrency: 1 });
    assert.equal(narrow.peak, 1);
    assert.equal(narrow.calls.length, wide.calls.length);
  });

  it('a step waiting outside its slot lets the others run: three waits overlap on one slot, work does not', async () => {
    const g = await plan(THREE, images);
    let inSlot = 0;
    let peakInSlot = 0;
    let waiting = 0;
    let peakWaiting = 0;
    const busy = async (ms: number) => {
      inSlot++;
      peakInSlot = Math.max(peakInSlot, inSlot);
      await new Promise((r) => setTimeout(r, ms));
      inSlot--;
    };
    const runner = {
      run: async (i: Parameters<FakeRunner['run']>[0]) => {
        await busy(10);
        if (i.op.text.startsWith('RUN')) {
          await i.outsideSlot(async () => {
            waiting++;
            peakWaiting = Math.max(peakWaiting, waiting);
            await new Promise((r) => setTimeout(r, 80));
            waiting--;
          });
        }
        await busy(10);
        return { state: i.op.text };
      },
    };
    await solve(g, runner, new MemoryCacheIndex<string>(), () => {}, { concurrency: 1 });
    assert.equal(peakWaiting, 3, 'the three RUNs wait at the same time');
    assert.equal(peakInSlot, 1, 'but only one step at a time works in the single slot');
  });

  it('runs parents before children and hands the runner their states', async () => {
    const g = await plan('FROM alpine\nRUN one\nRUN two\n', images);
    const seen: Array<string | null> = [];
    const runner = { run: async (i: Parameters<FakeRunner['run']>[0]) => { seen.push(i.parent); return { state: i.op.text }; } };
    const r = await solve(g, runner, new MemoryCacheIndex<string>(), () => {});
    assert.deepEqual(seen, [null, 'FROM alpine', 'RUN one']);
    assert.equal(r.outcomes.get(r.head!)!.state, 'RUN two');
  });

  it('runs an op shared by several stages once', async () => {
    const g = await plan('FROM alpine AS a\nRUN apk add x\nRUN a\nFROM alpine AS b\nRUN apk add x\nRUN b\nFROM alpine\nCOPY --from=a /a /\nCOPY --from=b /b /\n', images);
    const runner = new FakeRunner(5);
    await solve(g, runner, new MemoryCacheIndex<string>(), () => {});
    assert.equal(runner.calls.filter((c) => c === 'RUN apk add x').length, 1);
  });

  it('does no work on a full hit and reports every step cached with its key', async () => {
    const g = await plan('FROM alpine\nCOPY src/ /src/\nRUN build\n', images);
    const cache = new MemoryCacheIndex<string>();
    const first = new FakeRunner();
    const r1 = await solve(g, first, cache, () => {}, { sourceChecksum: fakeChecksum(ctx) });
    assert.equal(first.calls.length, 3);
    const again = new FakeRunner();
    const { events, sink } = collector();
    const r2 = await solve(g, again, cache, sink, { sourceChecksum: fakeChecksum(ctx) });
    assert.deepEqual(again.calls, []);
    assert.deepEqual(events.map((e) => e.type), ['start', 'cached', 'end', 'start', 'cached', 'end', 'start', 'cached', 'end']);
    const cached = events.filter((e) => e.type === 'cached');
    assert.deepEqual(cached.map((e) => e.type === 'cached' && e.key), [...r1.outcomes.values()].map((o) => o.key));
    assert.equal(r2.outcomes.get(r2.head!)!.state, r1.outcomes.get(r1.head!)!.state);
    assert.ok([...r2.outcomes.values()].every((o) => o.cached));
  });

  it('explains a miss by the ARG that changed, with the instruction line', async () => {
    const df = 'FROM alpine\nWORKDIR /src\nCOPY src/ ./\nARG VERSION=1.2\nRUN echo prepare\n\nRUN make VERSION=$VERSION\n';
    const cache = new MemoryCacheIndex<string>();
    await solve(await plan(df, images), new FakeRunner(), cache, () => {}, { sourceChecksum: fakeChecksum(ctx) });
    const { events, sink } = collector();
    const runner = new FakeRunner();
    await solve(await plan(df, images, { buildArgs: { VERSION: '1.3' } }), runner, cache, sink, { sourceChecksum: fakeChecksum(ctx) });
    // Both RUNs see VERSION (a RUN sees every ARG in scope), so both name it.
    assert.deepEqual(reasons(events), ['RUN line 5: ARG VERSION 1.2 → 1.3', 'RUN line 7: ARG VERSION 1.2 → 1.3']);
    assert.deepEqual(runner.calls, ['RUN echo prepare', 'RUN make VERSION=$VERSION']);
  });

  it('explains a COPY miss by the file whose content changed', async () => {
    const df = 'FROM alpine\nWORKDIR /app\nARG X=1\nCOPY src/ ./src/\nRUN node src/app.js\n';
    const cache = new MemoryCacheIndex<string>();
    await solve(await plan(df, images), new FakeRunner(), cache, () => {}, { sourceChecksum: fakeChecksum(ctx) });
    const { events, sink } = collector();
    await solve(await plan(df, images), new FakeRunner(), cache, sink,
      { sourceChecksum: fakeChecksum({ ...ctx, 'src/app.js': { content: 'v2' } }) });
    assert.deepEqual(reasons(events), ['COPY line 4: src/app.js content changed', 'RUN line 5: follows a changed step (COPY line 4)']);
    const { events: ev2, sink: sink2 } = collector();
    await solve(await plan(df, images), new FakeRunner(), cache, sink2,
      { sourceChecksum: fakeChecksum({ ...ctx, 'src/app.js': { content: 'v2', mode: 0o600 }, 'src/new.js': { content: '' } }) });
    assert.equal(reasons(ev2)[0], 'COPY line 4: src/app.js mode/owner changed; src/new.js added');
  });

  it('says when a step was never built and when the base image changed', async () => {
    const cache = new MemoryCacheIndex<string>();
    const { events, sink } = collector();
    await solve(await plan('FROM alpine\nRUN x\n', images), new FakeRunner(), cache, sink);
    assert.deepEqual(reasons(events), ['FROM line 1: not built before', 'RUN line 2: not built before']);
    const { events: ev2, sink: sink2 } = collector();
    await solve(await plan('FROM alpine\nRUN x\n', { alpine: { ...images.alpine, digest: `sha256:${'9'.repeat(64)}` } }), new FakeRunner(), cache, sink2);
    assert.deepEqual(reasons(ev2), [
      'FROM line 1: image sha256:aaaaaaaaaaaa… → sha256:999999999999…', 'RUN line 2: follows a changed step (FROM line 1)',
    ]);
  });

  it('explains a changed command and a COPY --from whose stage changed', async () => {
    const df = (v: string) => `FROM alpine AS b\nRUN build ${v}\nFROM alpine\nLABEL x=1\nRUN setup\nCOPY --from=b /o /o\n`;
    const cache = new MemoryCacheIndex<string>();
    await solve(await plan(df('v1'), images), new FakeRunner(), cache, () => {});
    const { events, sink } = collector();
    await solve(await plan(df('v2').replace('LABEL x=1\n', 'LABEL x=1\nLABEL y=2\n'), images), new FakeRunner(), cache, sink);
    assert.deepEqual(reasons(events).sort(), ['COPY line 7: the --from stage or image changed', 'RUN line 2: command build v1 → build v2']);
  });

  it('ignores the cache with --no-cache and for --no-cache-filter stages only', async () => {
    const g = await plan(THREE, images);
    const cache = new MemoryCacheIndex<string>();
    await solve(g, new FakeRunner(), cache, () => {});
    const all = new FakeRunner();
    const { events, sink } = collector();
    await solve(g, all, cache, sink, { noCache: true });
    assert.equal(all.calls.length, 7, 'one shared FROM, three RUN, three COPY');
    assert.ok(reasons(events).every((r) => r.endsWith(': --no-cache')));
    const some = new FakeRunner();
    const { events: ev2, sink: sink2 } = collector();
    await solve(g, some, cache, sink2, { noCacheFilter: ['B'] });
    assert.deepEqual(some.calls, ['RUN work b']);
    assert.deepEqual(reasons(ev2), ['RUN line 4: --no-cache-filter b']);
  });

  it('stops at the first failure with FILE:LINE, keeps finished steps cached, reports the error event', async () => {
    const df = 'FROM alpine AS slow\nRUN sleepy\nFROM alpine\nRUN ok\nRUN fails\nCOPY --from=slow /x /x\n';
    const g = await plan(df, images);
    const cache = new MemoryCacheIndex<string>();
    const { events, sink } = collector();
    await assert.rejects(solve(g, new FakeRunner(30, 'RUN fails'), cache, sink), (e: Error) =>
      e instanceof StepError && e.message === 'Dockerfile:5: RUN fails: process exited with code 2' && e.line === 5);
    const errors = events.filter((e) => e.type === 'error');
    assert.deepEqual(errors.map((e) => [e.line, e.type === 'error' && e.message]), [[5, 'process exited with code 2']]);
    const again = new FakeRunner(0, 'RUN fails');
    await assert.rejects(solve(g, again, cache, () => {}, {}), StepError);
    assert.ok(!again.calls.includes('RUN ok'), 'RUN ok finished before the failure and stays cached');
  });

  it('fails a COPY of a missing source with its line', async () => {
    const g = await plan('FROM alpine\n\nCOPY nope /x\n', images);
    await assert.rejects(solve(g, new FakeRunner(), new MemoryCacheIndex<string>(), () => {}, { sourceChecksum: fakeChecksum(ctx) }),
      (e: Error) => e instanceof StepError && e.message === 'Dockerfile:3: COPY nope /x: "nope" not found in build context');
  });

  it('forwards runner output as log events between start and end', async () => {
    const { events, sink } = collector();
    await solve(await plan('FROM alpine\nRUN hello\n', images), new FakeRunner(), new MemoryCacheIndex<string>(), sink);
    const run = events.filter((e) => e.line === 2).map((e) => (e.type === 'log' ? `log:${e.data.trim()}` : e.type));
    assert.deepEqual(run, ['start', 'miss', 'log:running RUN hello', 'end']);
  });

  it('stops when the caller aborts', async () => {
    const ac = new AbortController();
    const g = await plan('FROM alpine\nRUN one\nRUN two\n', images);
    const calls: string[] = [];
    const runner = {
      run: async (i: Parameters<FakeRunner['run']>[0]) => {
        calls.push(i.op.text);
        if (i.op.text === 'RUN one') {
          ac.abort(new Error('interrupted'));
          await new Promise((resolve) => setTimeout(resolve, 10));
          if (i.signal.aborted) throw new Error('killed');
        }
        return { state: i.op.text };
      },
    };
    await assert.rejects(solve(g, runner, new MemoryCacheIndex<string>(), () => {}, { signal: ac.signal }));
    assert.deepEqual(calls, ['FROM alpine', 'RUN one']);
  });
});

describe('planner solve: ADD of a URL', () => {
  it('keys on --checksum without fetching, else asks remoteChecksum, and never sends URLs to the context', async () => {
    const seen: string[] = [];
    const requests: import('../src/index.js').SourceRequest[] = [];
    const opts = {
      sourceChecksum: fakeChecksum(ctx, requests),
      remoteChecksum: async (url: string) => { seen.push(url); return `sha256:${'e'.repeat(64)}`; },
    };
    const pinned = await plan(`FROM alpine\nADD --checksum=sha256:${'1'.repeat(64)} https://h.invalid/a.tgz src/app.js /x/\n`, images);
    const r = await solve(pinned, new FakeRunner(), new MemoryCacheIndex<string>(), () => {}, opts);
    assert.deepEqual(seen, []);
    assert.deepEqual(requests.map((q) => q.sources), [['src/app.js']]);
    const pre = r.outcomes.get(r.head!)!.preImage;
    assert.equal(pre.sources['url https://h.invalid/a.tgz']!.digest, `sha256:${'1'.repeat(64)}`);
    await solve(await plan('FROM alpine\nADD https://h.invalid/b.tgz /x/\n', images), new FakeRunner(), new MemoryCacheIndex<string>(), () => {}, opts);
    assert.deepEqual(seen, ['https://h.invalid/b.tgz']);
    const bare = await solve(await plan('FROM alpine\nADD https://h.invalid/b.tgz /x/\n', images), new FakeRunner(),
      new MemoryCacheIndex<string>(), () => {}, { sourceChecksum: fakeChecksum(ctx) });
    assert.match(bare.outcomes.get(bare.head!)!.preImage.sources['url https://h.invalid/b.tgz']!.digest, /^sha256:[0-9a-f]{64}$/);
  });
});
