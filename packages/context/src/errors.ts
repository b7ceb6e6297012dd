/** Base class of every error @strata/context throws; the message is one line naming the path. */
export class ContextError extends Error {
  override name = 'ContextError';
}

/** A .dockerignore (or COPY --exclude) pattern that cannot be compiled. */
export class IgnorePatternError extends ContextError {
  override name = 'IgnorePatternError';
  constructor(readonly pattern: string, readonly source: string, reason: string) {
    super(`${source}: bad pattern ${JSON.stringify(pattern)}: ${reason}`);
  }
}

/** A COPY/ADD source that matches nothing in the context (missing or excluded by .dockerignore). */
export class SourceNotFoundError extends ContextError {
  override name = 'SourceNotFoundError';
  constructor(readonly source: string, readonly contextDir: string) {
    super(`${JSON.stringify(source)} not found in build context ${contextDir} (missing, or excluded by .dockerignore)`);
  }
}
