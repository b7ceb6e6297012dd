import { oci } from '@strata/builder';
import { parseArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';

export const command: Command = {
  name: 'tag',
  summary: 'give an image another name',
  usage: `Usage: strata tag SOURCE TARGET

Create the name TARGET for the image SOURCE (a name or image ID) in the local store.`,
  async run(argv) {
    const p = parseArgs(argv, {});
    if (p.positionals.length !== 2) throw new UsageError('tag needs SOURCE and TARGET');
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      await store.tag(p.positionals[0]!, p.positionals[1]!);
      return 0;
    } finally {
      store.close();
    }
  },
};
