import { readFileSync } from 'node:fs';
import { runContainer, executor } from '@strata/builder';
import { addHosts } from '../add-host.js';
import { flag, multi, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';

const spec = {
  network: { type: 'string' },
  'add-host': { type: 'multi' },
  mount: { type: 'multi' },
  user: { type: 'string', short: 'u' },
  env: { type: 'multi', short: 'e' },
  'env-file': { type: 'multi' },
  workdir: { type: 'string', short: 'w' },
  hostname: { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  rm: { type: 'boolean' },
  entrypoint: { type: 'string' },
  volume: { type: 'multi', short: 'v' },
} as const;

/** `--env-file` as docker run reads it: KEY=VALUE or KEY lines (the value taken as written), # comments, blanks. */
function envFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--env-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const name = line.split('=')[0]!;
    if (/\s/.test(name) || name === '') throw new UsageError(`--env-file ${file}:${i + 1}: variable "${name}" contains whitespaces`);
    out.push(line);
  });
  return out;
}

/** `-v SRC:DST[:ro|rw]` as docker run takes it, for host paths (a named volume is not a thing without a daemon). */
function volume(v: string): { source: string; target: string; readonly: boolean } {
  const parts = v.split(':');
  const mode = parts.length === 3 ? parts.pop()! : 'rw';
  const [source, target] = parts;
  if (parts.length !== 2 || !source || !target || !['ro', 'rw'].includes(mode)) throw new UsageError(`-v ${v}: want SRC:DST[:ro]`);
  if (!source.startsWith('/')) throw new UsageError(`-v ${v}: ${source} is not an absolute host path (named volumes need a daemon)`);
  if (!target.startsWith('/')) throw new UsageError(`-v ${v}: ${target} is not an absolute path in the container`);
  return { source, target, readonly: mode === 'ro' };
}

export const command: Command = {
  name: 'run',
  summary: 'run a command in a throwaway container from a local image',
  usage: `Usage: strata run [OPTIONS] IMAGE [CMD...]

Runs CMD (default: the image's Entrypoint + Cmd) in new namespaces over a scratch snapshot of IMAGE, like
\`docker run --rm\`: whatever the command writes is discarded. The exit code is the command's (128+n when it
dies of signal n).

Options:
  --network none|host   none: loopback only (default); host: the host's network
  --add-host HOST:IP    add a line to /etc/hosts (repeatable)
  --mount SPEC          RUN --mount syntax: type=bind,source=/host/path,target=/x[,rw] (read-only unless rw;
                        writes never reach the source), type=cache,target=/x[,id=,sharing=,uid=,gid=,mode=],
                        type=tmpfs,target=/x[,size=]; repeatable
  -u, --user USER       name, uid, name:group or uid:gid (names from the image's /etc/passwd, /etc/group)
  -e, --env KEY=VALUE   set a variable (KEY alone passes this process's value); repeatable
  --env-file FILE       variables from FILE, one KEY=VALUE (or KEY) per line, # comments; before -e; repeatable
  -w, --workdir DIR     working directory inside the container
  --hostname NAME       container hostname (default: the image digest's first 12 hex digits; the
                        host's name under --network host)
  -i, --interactive     connect this process's stdin to the command
  -t, --tty             accepted as docker takes it: the command writes to this process's terminal as it is
                        (no pseudo-terminal of its own)
  --entrypoint CMD      replace the image's Entrypoint (and drop its Cmd); "" for none
  -v, --volume SRC:DST[:ro]   bind the absolute host path SRC at DST, read-write unless :ro (writes reach
                        the host, as with docker run -v); repeatable
  --rm                  accepted: every container is removed when its command ends`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec, true);
    const [image, ...cmd] = p.positionals;
    if (!image) throw new UsageError('run needs an image');
    const network = str(p, 'network') ?? 'none';
    if (network !== 'none' && network !== 'host') throw new UsageError(`--network must be none or host, not "${network}"`);
    const volumes = multi(p, 'volume').map(volume);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const r = await runContainer({
        image, cmd, network, extraHosts: addHosts(multi(p, 'add-host')), mounts: multi(p, 'mount'), env: [...multi(p, 'env-file').flatMap(envFile), ...multi(p, 'env')],
        user: str(p, 'user'), workdir: str(p, 'workdir'), hostname: str(p, 'hostname'),
        stdin: flag(p, 'interactive') ? 'inherit' : 'ignore', signal: ac.signal, volumes,
        ...(str(p, 'entrypoint') !== undefined ? { entrypoint: str(p, 'entrypoint')! } : {}),
      });
      if (ctx.verbose && r.signal) ctx.err(`strata: command killed by ${r.signal}${r.oomKilled ? ' (out of memory)' : ''}\n`);
      return r.exitCode;
    } catch (e) {
      if (e instanceof executor.StepAbortedError) return 130;
      throw e;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
