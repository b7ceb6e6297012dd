import { createHash } from 'node:crypto';
import type { OpRunner, RunInput, RunResult, SolveEvent, SourceChecksumFn, SourceRequest } from '../src/index.js';

/** A fake context: path → content and mode; the checksum mimics @strata/context's contract. */
export type FakeContext = Record<string, { content: string; mode?: number; uid?: number }>;

const h = (s: string) => createHash('sha256').update(s).digest('hex');

/** sourceChecksum over a fake context: the paths under each source, mode/owner dropped on request. */
export function fakeChecksum(ctx: FakeContext, requests: SourceRequest[] = []): SourceChecksumFn {
  return async (req) => {
    requests.push(req);
    const files: Record<string, string> = {};
    for (const src of req.sources) {
      const prefix = src.replace(/\/$/, '');
      const hits = Object.keys(ctx).filter((p) => p === prefix || p.startsWith(prefix + '/') || prefix === '.');
      if (hits.length === 0) throw new Error(`"${src}" not found in build context`);
      for (const p of hits) {
        const f = ctx[p]!;
        const meta = `${req.dropMode ? '-' : f.mode ?? 0o644}/${req.dropOwner ? '-' : f.uid ?? 0}`;
        files[p] = `${h(f.content).slice(0, 16)}:${h(meta).slice(0, 8)}`;
      }
    }
    return { digest: `sha256:${h(JSON.stringify(files))}`, files };
  };
}

/** A runner that records calls, sleeps `delayMs`, tracks peak concurrency, and can fail chosen ops. */
export class FakeRunner implements OpRunner<string> {
  calls: string[] = [];
  active = 0;
  peak = 0;
  constructor(private readonly delayMs = 0, private readonly failText?: string) {}

  async run(input: RunInput<string>): Promise<RunResult<string>> {
    this.calls.push(input.op.text);
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      input.log('stdout', `running ${input.op.text}\n`);
      if (this.delayMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, this.delayMs);
          input.signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(new Error('aborted'));
          }, { once: true });
        });
      }
      if (this.failText !== undefined && input.op.text === this.failText) throw new Error('process exited with code 2');
      return { state: `state(${input.op.text} on ${input.parent ?? 'empty'})` };
    } finally {
      this.active--;
    }
  }
}

/** Collects events. */
export function collector(): { events: SolveEvent[]; sink: (e: SolveEvent) => void } {
  const events: SolveEvent[] = [];
  return { events, sink: (e) => events.push(e) };
}
