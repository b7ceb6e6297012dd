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
  workdir: { type: 'string', short: 'w' },
  hostname: { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
} as const;

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
  -w, --workdir DIR     working directory inside the container
  --hostname NAME       container hostname (default: the image digest's first 12 hex digits; the
                        host's name under --network host)
  -i, --interactive     connect this process's stdin to the command`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec, true);
    const [image, ...cmd] = p.positionals;
    if (!image) throw new UsageError('run needs an image');
    const network = str(p, 'network') ?? 'none';
    if (network !== 'none' && network !== 'host') throw new UsageError(`--network must be none or host, not "${network}"`);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const r = await runContainer({
        image, cmd, network, extraHosts: addHosts(multi(p, 'add-host')), mounts: multi(p, 'mount'), env: multi(p, 'env'),
        user: str(p, 'user'), workdir: str(p, 'workdir'), hostname: str(p, 'hostname'),
        stdin: flag(p, 'interactive') ? 'inherit' : 'ignore', signal: ac.signal,
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
