/** A build that cannot go on: one line saying what; `tail` holds the last output lines of a failed RUN. */
export class BuildError extends Error {
  override name = 'BuildError';
  constructor(message: string, readonly tail: string[] = []) {
    super(message);
  }
}
