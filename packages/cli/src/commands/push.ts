import { writeFileSync } from 'node:fs';
import { oci, registry, withCompressedLayers } from '@strata/builder';
import { parseArgs, str, flag } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { connectOptions } from './pull.js';

const spec = {
  insecure: { type: 'boolean' },
  creds: { type: 'string' },
  timeout: { type: 'string' },
  'chunk-size': { type: 'string' },
  'digestfile': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const command: Command = {
  name: 'push',
  summary: 'push an image from the local store to a registry',
  usage: `Usage: strata push [OPTIONS] NAME [DEST]

Pushes the local image NAME to DEST (default: NAME); a multi-platform index is pushed whole. Each blob is checked with HEAD first, mounted from
NAME's repository when DEST is another repository of the same registry, else uploaded; then the manifest is
PUT with its own media type. Prints "TAG: digest: sha256:… size: N".

Options:
  --creds USER:PASSWORD  credentials (default: ~/.docker/config.json, else anonymous)
  --insecure             allow plain http and unverified TLS for this registry
  --timeout SECONDS      fail when the registry sends nothing for this long (default 30)
  --chunk-size BYTES     upload blobs in PATCH chunks of this size (default: one monolithic PUT)
  --digestfile FILE      also write the manifest digest to FILE
  -q, --quiet            print only the digest`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length < 1 || p.positionals.length > 2) throw new UsageError('push takes NAME [DEST]');
    const src = registry.parseReference(p.positionals[0]!);
    const dest = registry.parseReference(p.positionals[1] ?? p.positionals[0]!);
    const chunk = str(p, 'chunk-size');
    if (chunk !== undefined && !(Number.isSafeInteger(Number(chunk)) && Number(chunk) > 0)) throw new UsageError('--chunk-size wants a positive number of bytes');
    const local = new oci.LocalStore(oci.defaultStateRoot());
    let record: oci.Descriptor;
    let hints: (d: oci.Digest) => string[];
    try {
      record = await local.lookup(p.positionals[0]!);
      hints = await registry.mountHintsFromStore(local, dest.registry, dest.repository);
    } finally {
      local.close();
    }
    const sameRegistrySource = src.registry === dest.registry && src.repository !== dest.repository ? [src.repository] : [];
    const quiet = flag(p, 'quiet');
    // A multi-platform index is pushed whole; a single manifest as itself, its uncompressed layers (how
    // builds store them locally, as Docker does) gzipped first.
    const options: registry.PushOptions = {
      ...connectOptions(p),
      mountFrom: (d) => [...new Set([...sameRegistrySource, ...hints(d)])],
      ...(chunk !== undefined ? { chunkSize: Number(chunk) } : {}),
      onBlob: (ev) => {
        if (quiet) return;
        const word = ev.result === 'exists' ? 'Layer already exists' : ev.result === 'mounted' ? `Mounted from ${ev.mountedFrom}` : 'Pushed';
        ctx.out(`${ev.digest.slice(7, 19)}: ${word}\n`);
      },
    };
    const single = !/index|manifest\.list/.test(record.mediaType);
    const res = single
      ? await registry.push(await withCompressedLayers(local.content, await oci.openStoreImage(local.content, record, p.positionals[0]!)), dest, options)
      : await registry.pushFromStore(local.content, record, dest, options);
    const digestFile = str(p, 'digestfile');
    if (digestFile) writeFileSync(digestFile, res.digest);
    ctx.out(quiet ? `${res.digest}\n` : `${dest.tag ?? dest.digest}: digest: ${res.digest} size: ${res.size}\n`);
    return 0;
  },
};
