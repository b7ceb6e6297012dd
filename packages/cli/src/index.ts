/** @strata/cli: the `strata` command. */
export { main, loadCommands, version, reportError } from './main.js';
export { parseArgs, str, multi, flag } from './args.js';
export type { Command, CommandContext } from './command.js';
export { UsageError } from './command.js';
