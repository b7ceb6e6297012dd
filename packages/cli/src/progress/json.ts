import type { ProgressRenderer, StepEvent } from './types.js';

/**
 * JSON Lines: one object per event, `{"time": ISO, "type": …, "op", "line", "text", "stage", …}`; types are
 * start, cached (key), miss (key, reason), log (stream, data), end (cached, durationMs), error (message),
 * warning (message) and done (summary). Documented in packages/cli/README.md.
 */
export class JsonProgress implements ProgressRenderer {
  constructor(private readonly write: (s: string) => void) {}
  private emit(o: object): void {
    this.write(JSON.stringify({ time: new Date().toISOString(), ...o }) + '\n');
  }
  event(e: StepEvent): void {
    this.emit(e);
  }
  warn(message: string): void {
    this.emit({ type: 'warning', message });
  }
  done(summary: string): void {
    this.emit({ type: 'done', summary });
  }
}
