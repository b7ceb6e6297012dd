import { oci, registry } from '@strata/builder';
import { parseArgs, str, flag } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { unpackLoaded } from '../unpack.js';

const spec = {
  platform: { type: 'string' },
  insecure: { type: 'boolean' },
  creds: { type: 'string' },
  timeout: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** The shared connection options of pull and push: --insecure, --creds, --timeout. */
export function connectOptions(p: ReturnType<typeof parseArgs>): registry.ConnectOptions {
  const creds = str(p, 'creds');
  const timeout = str(p, 'timeout');
  if (timeout !== undefined && !(Number(timeout) > 0)) throw new UsageError('--timeout wants a number of seconds');
  return {
    insecure: flag(p, 'insecure'),
    ...(creds !== undefined ? { credentials: registry.parseCredsOption(creds) } : {}),
    ...(timeout !== undefined ? { idleTimeoutMs: Number(timeout) * 1000 } : {}),
  };
}

export const command: Command = {
  name: 'pull',
  summary: 'pull an image from a registry into the local store',
  usage: `Usage: strata pull [OPTIONS] REF

Fetches REF (name[:tag] or name@digest; docker.io/library/ when no registry is given). An index is resolved
to --platform (default linux/amd64). The manifest and every blob are verified against their digests and
streamed into the content store; blobs already present are not fetched again. The name is recorded last.

Options:
  --platform OS/ARCH[/VARIANT]  platform to pick from a multi-platform image (default linux/amd64)
  --creds USER:PASSWORD         credentials (default: ~/.docker/config.json, else anonymous)
  --insecure                    allow plain http and unverified TLS for this registry
  --timeout SECONDS             fail when the registry sends nothing for this long (default 30)
  -q, --quiet                   print only the image reference`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError('pull takes exactly one image reference');
    const ref = registry.parseReference(p.positionals[0]!);
    const platform = str(p, 'platform');
    const local = new oci.LocalStore(oci.defaultStateRoot());
    const quiet = flag(p, 'quiet');
    const name = registry.formatReference(ref);
    const res = await registry.pull(ref, {
      ...connectOptions(p),
      store: local.content,
      ...(platform ? { platform: registry.parsePlatform(platform) } : {}),
      onBlob: (ev) => {
        if (!quiet) ctx.out(`${ev.digest.slice(7, 19)}: ${ev.status === 'present' ? 'Already exists' : 'Pull complete'}\n`);
      },
      // The platform manifest is named (not the index): only its blobs are here.
      recordName: async (n, desc) => local.names.set(oci.normaliseImageName(n), desc),
    }).finally(() => local.close());
    await unpackLoaded([name], ctx.err);
    if (!quiet) {
      ctx.out(`Digest: ${res.index?.digest ?? res.manifest.digest}\n`);
      ctx.out(`Status: ${res.fetched ? 'Downloaded newer image' : 'Image is up to date'} for ${name}\n`);
    }
    ctx.out(`${name}\n`);
    return 0;
  },
};
