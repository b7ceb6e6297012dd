import { oci } from '@strata/builder';
import { parseArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';

export const command: Command = {
  name: 'rmi',
  summary: 'remove image names (and blobs no other image uses)',
  usage: `Usage: strata rmi NAME...

Remove each name from the local store. When no other name refers to the image, its manifest, config and the
layers no other image uses are deleted too. Prints "Untagged:" and "Deleted:" lines as docker rmi does.`,
  async run(argv, ctx) {
    const p = parseArgs(argv, {});
    if (p.positionals.length === 0) throw new UsageError('rmi needs at least one NAME');
    const store = new oci.LocalStore(oci.defaultStateRoot());
    let failed = 0;
    try {
      for (const name of p.positionals) {
        try {
          const r = await store.remove(name);
          ctx.out(`Untagged: ${r.untagged}\n`);
          for (const d of r.deleted) ctx.out(`Deleted: ${d}\n`);
        } catch (e) {
          ctx.err(`strata: ${(e as Error).message.split('\n')[0]}\n`);
          failed++;
        }
      }
    } finally {
      store.close();
    }
    return failed ? 1 : 0;
  },
};
