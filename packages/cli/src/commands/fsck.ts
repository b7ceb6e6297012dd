import { oci } from '@strata/builder';
import { flag, parseArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';

export const command: Command = {
  name: 'fsck',
  summary: 'verify every blob and image in the local store',
  usage: `Usage: strata fsck [--repair]

Re-hash every blob in the content store and check that every named image has its manifest, config and
layers. Prints one line per problem; exits 1 when there is any.
  --repair   delete blobs whose content does not match their digest`,
  async run(argv, ctx) {
    const p = parseArgs(argv, { repair: { type: 'boolean' } });
    if (p.positionals.length) throw new UsageError('fsck takes no arguments');
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      const r = await store.fsck({ repair: flag(p, 'repair') });
      for (const x of r.problems) ctx.out(`${x.digest ?? x.path}: ${x.problem}\n`);
      ctx.out(`${r.checked} blobs and ${r.images} images checked, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
      return r.problems.length ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
