import { executor } from '@strata/builder';
import { UsageError } from './command.js';

/** `--add-host HOST:IP` (or HOST=IP) options of build and run, as `host ip` entries. */
export function addHosts(list: string[]): string[] {
  return list.map((a) => {
    const entry = executor.parseAddHost(a);
    if (entry === undefined) throw new UsageError(`--add-host ${a}: want HOST:IP with an IP address`);
    return entry;
  });
}
