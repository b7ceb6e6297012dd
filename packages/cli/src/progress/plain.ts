import { StepNumbers, stepTitle, type ProgressRenderer, type StepEvent } from './types.js';

/** One line per event, every log line in full (for CI logs and pipes). */
export class PlainProgress implements ProgressRenderer {
  private readonly n = new StepNumbers();
  private readonly partial = new Map<string, string>();
  constructor(private readonly write: (s: string) => void) {}

  event(e: StepEvent): void {
    const id = `#${this.n.of(e.op)}`;
    switch (e.type) {
      case 'start': return this.write(`${id} ${stepTitle(e)}\n`);
      case 'cached': return;
      case 'miss': return this.write(`${id} cache miss: ${e.reason}\n`);
      case 'log': {
        const text = (this.partial.get(e.op) ?? '') + e.data;
        const lines = text.split('\n');
        this.partial.set(e.op, lines.pop()!);
        for (const l of lines) this.write(`${id} ${l}\n`);
        return;
      }
      case 'end': {
        const rest = this.partial.get(e.op);
        if (rest) this.write(`${id} ${rest}\n`);
        this.partial.delete(e.op);
        return this.write(`${id} ${e.cached ? 'CACHED' : `DONE ${(e.durationMs / 1000).toFixed(1)}s`}\n`);
      }
      case 'error': return this.write(`${id} ERROR: ${e.message}\n`);
    }
  }

  warn(message: string): void {
    this.write(`WARNING: ${message}\n`);
  }

  done(summary: string): void {
    this.write(`${summary}\n`);
  }
}
