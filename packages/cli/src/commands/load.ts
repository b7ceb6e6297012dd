import { oci, withSpooledInput } from '@strata/builder';
import { flag, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { unpackLoaded } from '../unpack.js';

export const command: Command = {
  name: 'load',
  summary: 'load images from an archive (docker load)',
  usage: `Usage: strata load [-i FILE] [--tag NAME] [--quiet]

Load every image of FILE (default: standard input, when it is not a terminal) into the local store: a docker-archive (docker save, legacy or Docker 25+), an
oci-archive, either possibly gzip or zstd compressed, or an OCI layout directory. Every blob is verified;
on failure nothing is named and the blobs this load added are removed.
  -t, --tag NAME   name the image (for archives whose image has no usable name)
  -q, --quiet      print nothing`,
  async run(argv, ctx) {
    const p = parseArgs(argv, { input: { type: 'string', short: 'i' }, tag: { type: 'string', short: 't' }, quiet: { type: 'boolean', short: 'q' } });
    const file = str(p, 'input') ?? p.positionals[0];
    if (!file && process.stdin.isTTY) throw new UsageError('load reads an archive: give -i FILE or redirect standard input');
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      const tag = str(p, 'tag');
      const opts = tag ? { tag } : {};
      const loaded = file ? await oci.loadImages(store, file, opts) : await withSpooledInput(process.stdin, store.content.tmpDir, (f) => oci.loadImages(store, f, opts));
      if (!flag(p, 'quiet')) for (const l of loaded) for (const n of l.names) ctx.out(`Loaded image: ${n}\n`);
      store.close();
      await unpackLoaded(loaded.map((l) => l.names[0] ?? l.digest), ctx.err);
      return 0;
    } finally {
      store.close();
    }
  },
};
