/** Fields every solve event carries: the op, its Dockerfile line and instruction text. */
export interface EventBase {
  op: string;
  line: number;
  text: string;
  stage: string | null;
}

/**
 * Progress of a solve, in order per op: `start`, then `cached` or `miss`, then `log`*, then `end` or
 * `error`. Ops of independent stages interleave.
 */
export type SolveEvent =
  | (EventBase & { type: 'start' })
  | (EventBase & { type: 'cached'; key: string })
  | (EventBase & { type: 'miss'; key: string; reason: string })
  | (EventBase & { type: 'log'; stream: 'stdout' | 'stderr'; data: string })
  | (EventBase & { type: 'end'; cached: boolean; durationMs: number })
  | (EventBase & { type: 'error'; message: string });

/** Receives solve events (the CLI renders them as tty, plain or json). */
export type EventSink = (event: SolveEvent) => void;
