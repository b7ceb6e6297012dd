import { writeFile } from 'node:fs/promises';
import { build, cache, parseOutput, type BuildResult } from '@strata/builder';
import { addHosts } from '../add-host.js';
import { checkOnly } from '../build-check.js';
import { flag, multi, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { progressRenderer } from '../progress/index.js';
import { isTerminal } from '../direct-write.js';

const spec = {
  tag: { type: 'multi', short: 't' },
  file: { type: 'string', short: 'f' },
  target: { type: 'string' },
  'build-arg': { type: 'multi' },
  platform: { type: 'string' },
  label: { type: 'multi' },
  network: { type: 'string' },
  'add-host': { type: 'multi' },
  'build-context': { type: 'multi' },
  check: { type: 'boolean' },
  pull: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  'no-cache-filter': { type: 'multi' },
  secret: { type: 'multi' },
  ssh: { type: 'multi' },
  output: { type: 'multi', short: 'o' },
  iidfile: { type: 'string' },
  'metadata-file': { type: 'string' },
  progress: { type: 'string' },
  driver: { type: 'string' },
  compression: { type: 'string' },
  push: { type: 'boolean' },
  insecure: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'cache-to': { type: 'multi' },
  'cache-from': { type: 'multi' },
  'cache-required': { type: 'boolean' },
  'cache-mounts': { type: 'boolean' },
} as const;

/** Parses --cache-to / --cache-from values (buildx's type=…,key=value syntax). */
function cacheSpecs(list: string[], flagName: string): ReturnType<typeof cache.parseCacheSpec>[] {
  return list.map((t) => {
    try {
      return cache.parseCacheSpec(t, flagName);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
}

const mb = (n: number) => `${(n / (1 << 20)).toFixed(1)} MB`;

/** `K=V`, or `K` alone to take the value from the environment (docker build's rule). */
function buildArgs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const i = a.indexOf('=');
    if (i === 0) throw new UsageError(`--build-arg ${a}: missing name`);
    if (i > 0) out[a.slice(0, i)] = a.slice(i + 1);
    else if (process.env[a] !== undefined) out[a] = process.env[a]!;
  }
  return out;
}

/** `--build-context NAME=VALUE` options, by name (the value is read by the builder). */
function namedContexts(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of list) {
    const i = c.indexOf('=');
    if (i <= 0 || i === c.length - 1) throw new UsageError(`--build-context ${c}: want NAME=DIR or NAME=docker-image://REF`);
    out[c.slice(0, i)] = c.slice(i + 1);
  }
  return out;
}

/** `--label K=V` (a bare K sets an empty label, as docker build does). */
function labels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    if (i === 0) throw new UsageError(`--label ${l}: missing name`);
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
    else out[l] = '';
  }
  return out;
}

/** `id=x,src=path` | `id=x,env=VAR` (buildx's --secret). */
function secrets(list: string[]): Record<string, { path?: string; data?: string }> {
  const out: Record<string, { path?: string; data?: string }> = {};
  for (const s of list) {
    const kv = new Map(s.split(',').map((p) => (p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, '']) as [string, string]));
    const id = kv.get('id') ?? (kv.get('src') ?? kv.get('source') ?? '').split('/').pop();
    if (!id) throw new UsageError(`--secret ${s}: needs id=`);
    const src = kv.get('src') ?? kv.get('source');
    const env = kv.get('env');
    if (src) out[id] = { path: src };
    else if (env !== undefined || process.env[id] !== undefined) {
      const v = process.env[env ?? id];
      if (v === undefined) throw new UsageError(`--secret ${s}: environment variable ${env ?? id} is not set`);
      out[id] = { data: v };
    } else throw new UsageError(`--secret ${s}: needs src= or env=`);
  }
  return out;
}

function sshAgents(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const [id, sock] = s.includes('=') ? [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] : [s, process.env.SSH_AUTH_SOCK ?? ''];
    if (!sock) throw new UsageError(`--ssh ${s}: no socket given and SSH_AUTH_SOCK is not set`);
    out[id] = sock;
  }
  return out;
}

export const command: Command = {
  name: 'build',
  summary: 'build an image from a Dockerfile (docker build)',
  usage: `Usage: strata build [OPTIONS] CONTEXT|-

CONTEXT - reads the context from standard input: a tar archive (plain, gzip, bzip2, xz or zstd), or a
Dockerfile alone (then the context is empty).

  -t, --tag NAME             name the image in the local store (repeatable)
  -f, --file FILE            Dockerfile (default CONTEXT/Dockerfile; - reads it from standard input)
      --target STAGE         build this stage (only the stages it needs run)
      --build-arg K=V        set a build argument (K alone: from the environment)
      --platform OS/ARCH     target platform (default the host's)
      --label K=V            set a label on the image (repeatable)
      --network default|none|host   network of RUN steps without their own --network (default: the host's)
      --add-host HOST:IP     add a line to every RUN's /etc/hosts (repeatable)
      --build-context NAME=DIR|docker-image://REF   stands for the stage or image NAME in FROM, COPY --from
                             and RUN --mount from= (repeatable)
      --no-cache             run every step; --no-cache-filter STAGE for one stage
      --pull                 fetch every base image again from its registry (the newest its tag names)
      --secret id=X,src=F|env=V  secrets for RUN --mount=type=secret
      --ssh default[=SOCK]   agent sockets for RUN --mount=type=ssh
  -o, --output type=oci|docker|local|tar,dest=PATH   also write the result there (repeatable; dest=- or
                             a bare - : standard output)
      --push                 push every -t name to its registry (--insecure for http)
      --iidfile F            write the image id (config digest) to F
      --metadata-file F      write build metadata as JSON to F
      --progress auto|tty|plain|json   progress output on stderr (json: JSON Lines events); default
                             $BUILDKIT_PROGRESS, else auto
      --driver overlay|unionfs|copy    snapshot driver (default: chosen by probing)
      --compression none|gzip|zstd     how new layers are stored locally (default none, as Docker's store;
                             push compresses with gzip)
      --cache-to type=registry,ref=HOST/REPO[:prefix]|type=sftp,url=sftp://USER@HOST:PORT/PATH|type=local,dest=DIR[,mode=min|max]
                             export the build's cache entries after it succeeds (repeatable)
      --cache-from type=registry,ref=…|type=sftp,url=…|type=local,src=DIR
                             import cache entries lazily, sources consulted in order (repeatable)
      --cache-mounts         also export/import RUN --mount=type=cache directories
      --cache-required       fail when a remote cache cannot be used (default: warn, build without it)
  -q, --quiet                print only the image id
      --check                run the build checks (strata lint's rules) and print what they find; no build.
                             A build prints the same as warnings, and fails on them under # check=error=true

SOURCE_DATE_EPOCH (environment or --build-arg) makes the image reproducible.`,
  async run(argv, ctx) {
    const p = parseArgs(argv, { ...spec });
    if (p.positionals.length !== 1) throw new UsageError('build needs exactly one CONTEXT directory');
    if (flag(p, 'check')) return checkOnly(p.positionals[0]!, str(p, 'file'), str(p, 'platform'), ctx);
    // BUILDKIT_PROGRESS, as docker build reads it, when --progress is not given (CI sets it to plain).
    const mode = flag(p, 'quiet') ? 'json' : str(p, 'progress') ?? (process.env.BUILDKIT_PROGRESS || 'auto');
    const out = flag(p, 'quiet') ? () => {} : (s: string) => ctx.err(s);
    const r = progressRenderer(mode, out, isTerminal(2));
    const driver = str(p, 'driver');
    if (driver && !['overlay', 'unionfs', 'copy', 'auto'].includes(driver)) throw new UsageError(`--driver ${driver}: want overlay, unionfs or copy`);
    if (flag(p, 'push') && multi(p, 'tag').length === 0) throw new UsageError('--push needs at least one -t NAME');
    const network = str(p, 'network');
    if (network !== undefined && !['default', 'none', 'host'].includes(network)) throw new UsageError(`--network ${network}: want default, none or host`);
    const outputs = multi(p, 'output').map(parseOutput);
    if (flag(p, 'quiet') && outputs.some((x) => x.dest === '-')) throw new UsageError('-q prints the image id on standard output, where --output …dest=- writes: use --iidfile');
    const extraHosts = addHosts(multi(p, 'add-host'));
    const imageLabels = labels(multi(p, 'label'));
    const buildContexts = namedContexts(multi(p, 'build-context'));
    const compression = str(p, 'compression') ?? 'none';
    if (!['none', 'gzip', 'zstd'].includes(compression)) throw new UsageError(`--compression ${compression}: want none, gzip or zstd`);
    const tags = [...new Set(multi(p, 'tag'))];
    const started = Date.now();
    let res: BuildResult;
    try {
      res = await build({
        contextDir: p.positionals[0]!,
        ...(str(p, 'file') ? { dockerfile: str(p, 'file')! } : {}),
        tags,
        ...(str(p, 'target') ? { target: str(p, 'target')! } : {}),
        buildArgs: buildArgs(multi(p, 'build-arg')),
        ...(str(p, 'platform') ? { platform: str(p, 'platform')! } : {}),
        labels: imageLabels,
        pull: flag(p, 'pull'),
        ...(network ? { network: network as 'none' } : {}),
        extraHosts,
        buildContexts,
        noCache: flag(p, 'no-cache'),
        noCacheFilter: multi(p, 'no-cache-filter'),
        secrets: secrets(multi(p, 'secret')),
        ssh: sshAgents(multi(p, 'ssh')),
        outputs,
        stdout: process.stdout,
        events: (e) => r.event(e),
        warn: (m) => r.warn(m),
        ...(driver ? { driver: driver as 'overlay' } : {}),
        compression: compression as 'none',
        ...(flag(p, 'push') ? { push: { insecure: flag(p, 'insecure') } } : {}),
        cacheTo: cacheSpecs(multi(p, 'cache-to'), '--cache-to'),
        cacheFrom: cacheSpecs(multi(p, 'cache-from'), '--cache-from'),
        cacheRequired: flag(p, 'cache-required'),
        cacheMounts: flag(p, 'cache-mounts'),
      });
    } catch (e) {
      r.done(`build failed after ${((Date.now() - started) / 1000).toFixed(1)}s`);
      throw e;
    }
    if (ctx.verbose) ctx.err(`snapshot driver: ${res.driver}\n`);
    const rc = res.remoteCache;
    if (rc && rc.imported.probes > 0) out(`cache import: ${rc.imported.hits} remote hits of ${rc.imported.probes} probes, ${rc.imported.blobsDownloaded} blobs downloaded (${mb(rc.imported.bytesDownloaded)})\n`);
    for (const x of rc?.exported ?? []) {
      out(`cache export to ${x.to}: ${x.entriesWritten} entries written, ${x.entriesPresent} present; ${x.blobsUploaded} blobs uploaded, ${x.blobsMounted} mounted, ${x.blobsPresent} present (${mb(x.bytesUploaded)})`
        + `${x.mounts ? `; ${x.mounts.mounts} cache mounts, ${x.mounts.transferred} of ${x.mounts.files} files sent` : ''}\n`);
    }
    for (const pushed of res.pushed) out(`pushed ${pushed}\n`);
    const iid = str(p, 'iidfile');
    if (iid) await writeFile(iid, res.id);
    const meta = str(p, 'metadata-file');
    if (meta) {
      await writeFile(meta, JSON.stringify({
        'containerimage.digest': res.digest, 'containerimage.config.digest': res.id, 'image.name': tags.join(','),
        'strata.cache': { cached: res.cached, ran: res.ran, ...(res.remoteCache ? { remote: res.remoteCache } : {}) },
      }, null, 2) + '\n');
    }
    r.done(`built ${res.id}${tags.length ? ` as ${tags.join(', ')}` : ''} in ${((Date.now() - started) / 1000).toFixed(1)}s (${res.cached} cached, ${res.ran} run)`);
    if (flag(p, 'quiet')) ctx.out(`${res.id}\n`);
    return 0;
  },
};
