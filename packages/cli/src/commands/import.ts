import { createReadStream } from 'node:fs';
import { oci } from '@strata/builder';
import { multi, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { unpackLoaded } from '../unpack.js';

/** Applies `--change` lines (a subset of Dockerfile instructions, as docker import takes). */
function applyChange(cfg: oci.ContainerConfig, line: string): void {
  const m = /^\s*(\w+)\s+(.*)$/.exec(line);
  if (!m) throw new UsageError(`--change ${JSON.stringify(line)}: expected INSTRUCTION ARGS`);
  const arg = m[2]!.trim();
  const list = (): string[] => (arg.startsWith('[') ? (JSON.parse(arg) as string[]) : ['/bin/sh', '-c', arg]);
  switch (m[1]!.toUpperCase()) {
    case 'CMD': cfg.Cmd = list(); break;
    case 'ENTRYPOINT': cfg.Entrypoint = list(); break;
    case 'ENV': (cfg.Env ??= []).push(arg.includes('=') ? arg : arg.replace(/\s+/, '=')); break;
    case 'USER': cfg.User = arg; break;
    case 'WORKDIR': cfg.WorkingDir = arg; break;
    case 'LABEL': {
      const [k, ...v] = arg.split('=');
      (cfg.Labels ??= {})[k!.trim()] = v.join('=').trim().replace(/^"(.*)"$/, '$1');
      break;
    }
    default: throw new UsageError(`--change ${m[1]}: not supported (CMD, ENTRYPOINT, ENV, USER, WORKDIR, LABEL)`);
  }
}

export const command: Command = {
  name: 'import',
  summary: 'make a one-layer image from a rootfs tarball (docker import)',
  usage: `Usage: strata import [--change 'CMD ...'] [--message TEXT] ROOTFS.tar|- NAME

Store the tarball (plain, gzip or zstd; '-' reads stdin) as the single layer of a new image NAME.
  -c, --change LINE   apply a CMD, ENTRYPOINT, ENV, USER, WORKDIR or LABEL instruction to the config
  -m, --message TEXT  history comment
SOURCE_DATE_EPOCH, when set, is the image's creation time.`,
  async run(argv, ctx) {
    const p = parseArgs(argv, { change: { type: 'multi', short: 'c' }, message: { type: 'string', short: 'm' } });
    if (p.positionals.length !== 2) throw new UsageError('import needs ROOTFS.tar and NAME');
    const [src, name] = p.positionals as [string, string];
    const cfg: oci.ContainerConfig = {};
    for (const c of multi(p, 'change')) applyChange(cfg, c);
    if (!cfg.Env) cfg.Env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
    const input = src === '-' ? process.stdin : createReadStream(src);
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      const msg = str(p, 'message');
      const desc = await oci.importRootfs(store, input, name, msg ? { config: cfg, message: msg } : { config: cfg }, src);
      ctx.out(`${desc.digest}\n`);
      store.close();
      await unpackLoaded([name ?? desc.digest], ctx.err);
      return 0;
    } finally {
      store.close();
    }
  },
};
