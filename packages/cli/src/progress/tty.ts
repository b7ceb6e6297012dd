import { StepNumbers, stepTitle, type ProgressRenderer, type StepEvent } from './types.js';

interface Row {
  n: number;
  title: string;
  status: 'running' | 'cached' | 'done' | 'error';
  started: number;
  ms?: number;
  last?: string;
}

/**
 * A compact live view for a terminal: one row per step with its time or CACHED, the latest output line of
 * running steps under them; redrawn in place (at most every 100 ms). Full logs of a failed step are printed
 * when it fails, so nothing is lost.
 */
export class TtyProgress implements ProgressRenderer {
  private readonly n = new StepNumbers();
  private readonly rows = new Map<string, Row>();
  private readonly logs = new Map<string, string[]>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly write: (s: string) => void, private readonly width = process.stderr.columns || 100) {}

  event(e: StepEvent): void {
    const row = this.rows.get(e.op);
    switch (e.type) {
      case 'start':
        this.rows.set(e.op, { n: this.n.of(e.op), title: stepTitle(e), status: 'running', started: Date.now() });
        break;
      case 'log': {
        const buf = this.logs.get(e.op) ?? [];
        buf.push(e.data);
        this.logs.set(e.op, buf);
        if (row) row.last = e.data.trimEnd().split('\n').pop();
        break;
      }
      case 'end':
        if (row) Object.assign(row, { status: e.cached ? 'cached' : 'done', ms: e.durationMs, last: undefined });
        break;
      case 'error':
        if (row) row.status = 'error';
        this.clear();
        this.write(`${this.logs.get(e.op)?.join('') ?? ''}ERROR: ${e.message}\n`);
        this.drawn = 0;
        break;
      default:
        break;
    }
    this.schedule();
  }

  warn(message: string): void {
    this.clear();
    this.write(`WARNING: ${message}\n`);
    this.drawn = 0;
    this.draw();
  }

  done(summary: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
    this.write(`${summary}\n`);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  private clear(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}F\x1b[J`);
  }

  private draw(): void {
    this.clear();
    const lines: string[] = [];
    for (const r of this.rows.values()) {
      const t = r.status === 'cached' ? 'CACHED' : r.status === 'running' ? `${((Date.now() - r.started) / 1000).toFixed(1)}s` : r.status === 'error' ? 'ERROR' : `${((r.ms ?? 0) / 1000).toFixed(1)}s`;
      lines.push(this.fit(`${r.status === 'running' ? '=>' : ' ✔'} #${r.n} ${r.title}`, t));
      if (r.status === 'running' && r.last) lines.push(this.fit(`     ${r.last}`, ''));
    }
    this.write(lines.map((l) => l + '\n').join(''));
    this.drawn = lines.length;
  }

  private fit(left: string, right: string): string {
    const room = Math.max(10, this.width - right.length - 2);
    const l = left.length > room ? left.slice(0, room - 1) + '…' : left.padEnd(room);
    return `${l} ${right}`;
  }
}
