/** Base class of every error @strata/planner throws; the message is one line with FILE:LINE where known. */
export class PlannerError extends Error {
  override name = 'PlannerError';
  constructor(
    /** What went wrong, without the position. */
    readonly reason: string,
    /** 1-based Dockerfile line, 0 when the problem has no line. */
    readonly line = 0,
    readonly filename = 'Dockerfile',
  ) {
    super(line > 0 ? `${filename}:${line}: ${reason}` : `${filename}: ${reason}`);
  }
}

/** A build step that failed while it ran (exit code, missing source…); the cause's message is kept. */
export class StepError extends PlannerError {
  override name = 'StepError';
  constructor(reason: string, line: number, filename: string, readonly opId: string, cause?: unknown) {
    super(reason, line, filename);
    this.cause = cause;
  }
}

/** Why a solve stopped early: another step failed or the caller aborted. */
export class SolveAbortedError extends PlannerError {
  override name = 'SolveAbortedError';
}
