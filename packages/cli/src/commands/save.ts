import { oci, viaScratchFile } from '@strata/builder';
import { parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { isTerminal } from '../direct-write.js';


const FORMATS = ['docker', 'docker-legacy', 'oci', 'oci-dir'];

export const command: Command = {
  name: 'save',
  summary: 'write images to an archive (docker save)',
  usage: `Usage: strata save [-o FILE] [--format docker|docker-legacy|oci|oci-dir] NAME...

Write images from the local store to FILE, or to standard output when it is not a terminal.
  --format docker         (default) what Docker 25+ docker save writes: an OCI layout with manifest.json;
                          docker load, podman load and skopeo docker-archive: read it
  --format docker-legacy  the pre-25 docker save form (<id>/layer.tar)
  --format oci            an OCI layout in a tar (skopeo oci-archive:), layers as stored
  --format oci-dir        an OCI layout directory at FILE (skopeo oci:, umoci), added to if present`,
  async run(argv) {
    const p = parseArgs(argv, { output: { type: 'string', short: 'o' }, format: { type: 'string' } });
    const out = str(p, 'output');
    const format = str(p, 'format') ?? 'docker';
    if (!out && isTerminal(1)) throw new UsageError('save writes an archive: give -o FILE or redirect standard output');
    if (!out && format === 'oci-dir') throw new UsageError('--format oci-dir writes a directory: give -o DIR');
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (p.positionals.length === 0) throw new UsageError('save needs at least one image NAME');
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      if (out) await oci.saveImages(store, p.positionals, out, format as oci.SaveFormat);
      else await viaScratchFile(store.content.tmpDir, (file) => oci.saveImages(store, p.positionals, file, format as oci.SaveFormat), process.stdout);
      return 0;
    } finally {
      store.close();
    }
  },
};
