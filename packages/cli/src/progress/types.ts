import type { planner } from '@strata/builder';

/** A solve event as the renderers see it. */
export type StepEvent = planner.SolveEvent;

/** Renders build progress; `done` flushes the last state. */
export interface ProgressRenderer {
  event(e: StepEvent): void;
  warn(message: string): void;
  done(summary: string): void;
}

/** Short step numbers in order of first appearance, as BuildKit's `#N`. */
export class StepNumbers {
  private readonly ids = new Map<string, number>();
  of(op: string): number {
    let n = this.ids.get(op);
    if (n === undefined) this.ids.set(op, (n = this.ids.size + 1));
    return n;
  }
}

/** `[stage] RUN …` with the Dockerfile line, first line of the instruction only. */
export function stepTitle(e: StepEvent): string {
  const stage = e.stage ? `[${e.stage}] ` : '';
  return `${stage}${e.text.split('\n')[0]} (line ${e.line})`;
}
