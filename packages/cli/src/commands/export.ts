import { oci } from '@strata/builder';
import { parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';

export const command: Command = {
  name: 'export',
  summary: "write an image's merged filesystem as a tar (docker export)",
  usage: `Usage: strata export NAME [-o FILE]

Apply the image's layers in order (whiteouts applied) and write the resulting filesystem as one tar to
FILE, or to stdout when it is not a terminal.`,
  async run(argv) {
    const p = parseArgs(argv, { output: { type: 'string', short: 'o' } });
    if (p.positionals.length !== 1) throw new UsageError('export needs one image NAME');
    const out = str(p, 'output');
    if (!out && process.stdout.isTTY) throw new UsageError('refusing to write a tar to a terminal; use -o FILE');
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      await oci.exportImage(store, p.positionals[0]!, out ?? process.stdout);
      return 0;
    } finally {
      store.close();
    }
  },
};
