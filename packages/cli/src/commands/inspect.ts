import { inspectDoc, inspectText, openImage, readMeta, toJson, type SourceOptions } from '@strata/inspect';
import { flag, parseArgs, str, type ParsedArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';

/** The image-reference forms every inspect command accepts, for usage texts. */
export const SOURCE_HELP = `
IMAGE is one of:
  NAME[:TAG] | NAME@DIGEST | ID   an image in the local store ($STRATA_ROOT)
  oci:DIR[:TAG]                   an OCI image layout directory
  docker-archive:FILE             a \`docker save\` tarball (either form)
  docker://REF, or HOST/NAME[:TAG] an image in a registry (loopback registries over plain http)`;

/** Source options from the shared --insecure switch. */
export function sourceOptions(p: ParsedArgs): SourceOptions {
  return { insecure: flag(p, 'insecure') };
}

const spec = { format: { type: 'string' }, config: { type: 'boolean' }, manifest: { type: 'boolean' }, insecure: { type: 'boolean' } } as const;

export const command: Command = {
  name: 'inspect',
  summary: 'show an image\'s manifest, config and layers',
  usage: `Usage: strata inspect [OPTIONS] IMAGE

Shows the image's digest, platform, run settings (user, entrypoint, cmd, env, ports, labels) and its layer
list. --config and --manifest print that document: pretty-printed, or with --format json byte for byte as
stored (its digest is over those bytes).

Options:
  --format text|json   output format (default text)
  --config             print the image config
  --manifest           print the manifest
  --insecure           allow plain http and unverified TLS for a registry
${SOURCE_HELP}`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError('inspect takes exactly one image');
    const format = str(p, 'format') ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${JSON.stringify(format)}`);
    if (flag(p, 'config') && flag(p, 'manifest')) throw new UsageError('give --config or --manifest, not both');
    const ref = p.positionals[0]!;
    const meta = await readMeta(ref, await openImage(ref, sourceOptions(p)));
    if (flag(p, 'config') || flag(p, 'manifest')) {
      const raw = flag(p, 'config') ? meta.rawConfig : meta.rawManifest;
      ctx.out(format === 'json' ? raw.toString('utf8').replace(/\n?$/, '\n') : toJson(JSON.parse(raw.toString('utf8'))));
      return 0;
    }
    ctx.out(format === 'json' ? toJson(inspectDoc(meta)) : inspectText(meta));
    return 0;
  },
};
