/** What every `strata` subcommand provides. One file per command in commands/, found at run time. */
export interface Command {
  /** The word after `strata`. */
  name: string;
  /** One line for `strata --help`. */
  summary: string;
  /** Full usage text for `strata NAME --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

/** Process-wide settings parsed before the command name. */
export interface CommandContext {
  debug: boolean;
  verbose: boolean;
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
}

/** Wrong arguments: printed as one line plus a hint to use --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
