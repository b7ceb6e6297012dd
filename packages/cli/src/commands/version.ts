import type { Command } from '../command.js';
import { version } from '../main.js';

export const command: Command = {
  name: 'version',
  summary: 'print the version',
  usage: 'Usage: strata version',
  async run(_argv, ctx) {
    ctx.out(`strata ${version()}\n`);
    return 0;
  },
};
