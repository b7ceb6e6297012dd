import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parse, toStages } from '@strata/dockerfile';
import { BuildContext, checksumSources } from '@strata/context';
import type { SecretSource } from '@strata/executor';
import { LocalStore, defaultStateRoot, type Compression, type Digest, type Image } from '@strata/oci';
import { compile, solve, type EventSink, type SourceChecksumFn } from '@strata/planner';
import { nativeDirScanner, openSnapshotter, type DriverName } from '@strata/snapshot';
import { push } from '@strata/registry';
import { assembleImage } from './assemble.js';
import { withCompressedLayers } from './compress-layers.js';
import { BaseImages } from './base-images.js';
import { BuildCache } from './cache-adapter.js';
import { BuildError } from './errors.js';
import { writeOutputs, type OutputSpec } from './outputs.js';
import type { StepServices } from './step-layer.js';
import { BuildWorker } from './worker.js';
import { BuildRecorder } from './build-record.js';
import { reapStale } from './stale.js';
import { LazySnapshotter } from './lazy-snapshotter.js';
import { Downloads } from './add-sources.js';
import { buildInput, stdinContext, type BuildInput } from './build-input.js';
import { readNamedContexts } from './named-contexts.js';
import { rememberingEnv, runBuildChecks } from './build-checks.js';
import type { CacheSpec, MountSyncStats } from '@strata/cache';
import { RemoteSources, retryBadBlobs, type ImportStats } from './remote-cache.js';
import { exportBuildCache, importBuildMounts, usableTargets, type CacheExportReport } from './remote-export.js';

/** Everything `strata build` can be told. */
export interface BuildOptions {
  /** The context directory, or `-`: a tar archive of it (plain or compressed) or a Dockerfile alone on `stdin`. */
  contextDir: string;
  /** Dockerfile path; default CONTEXT/Dockerfile; `-` reads it from `stdin`; with CONTEXT `-` a path inside the archive. */
  dockerfile?: string;
  /** Standard input, read for `-` (default process.stdin, touched only then). */
  stdin?: Readable;
  /** Where an `--output …,dest=-` goes. */
  stdout?: Writable;
  /** Names in the local store (-t, repeatable). */
  tags?: string[];
  target?: string;
  buildArgs?: Record<string, string>;
  /** Target platform, `os/arch[/variant]`; default the host's. */
  platform?: string;
  /** `--pull`: fetch every base image again (the newest its tag names) instead of the stored one. */
  pull?: boolean;
  /** `--label`: labels set on the image (not on its steps: no cache key changes). */
  labels?: Record<string, string>;
  /** `--network`: the network of every RUN without its own --network (default: the host's, as BuildKit's). */
  network?: 'default' | 'none' | 'host';
  /** `--build-context NAME=VALUE`: `docker-image://REF` or a local directory standing for NAME (readNamedContexts). */
  buildContexts?: Record<string, string>;
  /** `--add-host`: `host ip` entries for every RUN's /etc/hosts (parse them with parseAddHost). */
  extraHosts?: string[];
  noCache?: boolean;
  noCacheFilter?: string[];
  stateRoot?: string;
  secrets?: Record<string, SecretSource>;
  ssh?: Record<string, string>;
  outputs?: OutputSpec[];
  /** Progress events of every step. */
  events?: EventSink;
  /** One-line warnings (a cache record with a missing blob, …). */
  warn?: (message: string) => void;
  /** Push every tag to its registry after the build (`--push`); layers gzipped on the way as `strata push` does. */
  push?: { insecure?: boolean };
  /** Compression of new layers in the local store (default none; `strata push` compresses with gzip). */
  compression?: Compression;
  /** Snapshot driver; default chosen by probing. */
  driver?: DriverName | 'auto';
  /** Steps run at once; default one per core. */
  concurrency?: number;
  signal?: AbortSignal;
  /** --cache-from: remote caches probed in order after the local one (lazily: keys as needed, blobs as read). */
  cacheFrom?: CacheSpec[];
  /** --cache-to: remote caches the build's entries are exported to once it succeeds. */
  cacheTo?: CacheSpec[];
  /** --cache-required: a remote cache that cannot be used fails the build instead of a warning. */
  cacheRequired?: boolean;
  /** --cache-mounts: also export/import RUN --mount=type=cache directories. */
  cacheMounts?: boolean;
}

/** What the remote cache did in a build. */
export interface RemoteCacheReport {
  imported: ImportStats;
  exported: CacheExportReport[];
  mountsImported?: MountSyncStats;
}

/** What a finished build made. */
export interface BuildResult {
  image: Image;
  /** Manifest digest. */
  digest: Digest;
  /** Config digest (Docker's image id). */
  id: Digest;
  names: string[];
  /** Steps answered from the cache / run. */
  cached: number;
  ran: number;
  /** `NAME@DIGEST` of every push. */
  pushed: string[];
  /** The snapshot driver used and why. */
  driver: string;
  /** Present when --cache-from or --cache-to was given. */
  remoteCache?: RemoteCacheReport;
}

/** SOURCE_DATE_EPOCH from the build args or the environment, in seconds. */
function sourceDateEpoch(o: BuildOptions): number | undefined {
  const v = o.buildArgs?.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new BuildError(`SOURCE_DATE_EPOCH=${v} is not a number of seconds`);
  return Number(v);
}

/**
 * Builds an image from a Dockerfile and a context, as `docker build` does: parse → compile (reachable stages
 * only) → solve with the content-hash cache (hits do no file work; misses are explained) → assemble the
 * image → store it under its names and write the requested outputs.
 */
export async function build(o: BuildOptions): Promise<BuildResult> {
  const root = path.resolve(o.stateRoot ?? defaultStateRoot());
  if (o.contextDir === '-' && o.dockerfile === '-') throw new BuildError('the context and the Dockerfile cannot both come from standard input (CONTEXT - with -f -)');
  // process.stdin is made on first use (6-7 ms of setting up a stream): only when `-` asks for it.
  const stdin = () => o.stdin ?? process.stdin;
  const fromStdin = o.contextDir === '-' ? await stdinContext(stdin(), path.join(root, 'tmp')) : undefined;
  try {
    return await buildFrom(o, root, await buildInput(o.contextDir, o.dockerfile, stdin, fromStdin));
  } finally {
    await fromStdin?.dispose();
  }
}

async function buildFrom(o: BuildOptions, root: string, input: BuildInput): Promise<BuildResult> {
  const { contextDir, dockerfilePath, text, filename } = input;
  const buildArgs = o.buildArgs ?? {};
  const tree = parse(text, { filename });
  const stages = toStages(tree, { buildArgs, ...(o.platform ? { platform: o.platform } : {}) });
  const store = new LocalStore(root);
  const downloads = new Downloads(path.join(root, 'tmp'));
  try {
    // Opened (and dead processes' leftovers reaped) when the first step needs a filesystem: a fully cached
    // build does no file work at all.
    const snap = new LazySnapshotter(async () => {
      const s = await openSnapshotter({ root, ...(o.driver ? { driver: o.driver } : {}) });
      const reaped = await reapStale(root, s);
      if (reaped > 0) o.warn?.(`cleaned ${reaped} leftovers of killed strata processes under ${root}`);
      return s;
    });
    const warn = o.warn ?? (() => {});
    const required = o.cacheRequired ?? false;
    // The remote sources' check and key listings run while the Dockerfile is planned.
    const remote = new RemoteSources(o.cacheFrom ?? [], store.content, warn, required);
    const checked = remote.check();
    checked.catch(() => {});
    const bases = new BaseImages(store, true, o.pull === true);
    const named = readNamedContexts(o.buildContexts ?? {});
    const images = rememberingEnv(bases.resolve);
    const graph = await compile(stages, {
      buildArgs, resolveImage: images.resolve, filename, namedContexts: named.planned, ...(o.target ? { target: o.target } : {}),
      ...(o.network ? { network: o.network } : {}), ...(o.extraHosts ? { extraHosts: o.extraHosts } : {}),
    });
    runBuildChecks(tree, filename, images.envOf, warn, o.platform);
    // As BuildKit warns; its own BUILDKIT_* switches and SOURCE_DATE_EPOCH are build settings, not ARGs.
    const unused = graph.unusedBuildArgs.filter((n) => !n.startsWith('BUILDKIT_') && n !== 'SOURCE_DATE_EPOCH');
    if (unused.length > 0) warn(`one or more build-args were not consumed: ${unused.join(', ')}`);
    // The build's context, and each named directory context (its own .dockerignore and stat index), opened on first use.
    const opened = new Map<string, Promise<BuildContext>>();
    const context = (name?: string) => {
      const key = name ?? '';
      let c = opened.get(key);
      if (c === undefined) {
        c = name === undefined
          ? BuildContext.open(contextDir, {
            ...(input.keepContextState ? { stateRoot: root } : {}), ...(dockerfilePath !== undefined ? { dockerfilePath } : {}),
            ...(input.contextLabel !== undefined ? { label: input.contextLabel } : {}), scanDir: nativeDirScanner(),
          })
          : BuildContext.open(named.dirs.get(name)!, { stateRoot: root, label: `${named.dirs.get(name)!} (--build-context ${name})`, scanDir: nativeDirScanner() });
        opened.set(key, c);
      }
      return c;
    };
    const sourceChecksum: SourceChecksumFn = async (req) =>
      checksumSources(await context(req.context), req.sources, { excludes: req.exclude, dropMode: req.dropMode, dropOwner: req.dropOwner });
    const epoch = sourceDateEpoch(o);
    const now = () => (epoch !== undefined ? new Date(epoch * 1000).toISOString() : new Date().toISOString());
    await checked;
    const cacheTo = await usableTargets(o.cacheTo ?? [], { warn, required, warned: remote.failed() });
    const mountsImported = o.cacheMounts ? await importBuildMounts(o.cacheFrom ?? [], root, { warn, required }) : undefined;
    const svc: StepServices = { root, snap, cs: store.content, blobs: remote.blobSource(), now, compression: o.compression ?? 'none', ...(epoch !== undefined ? { epochNs: BigInt(epoch) * 1_000_000_000n } : {}) };
    const cache = new BuildCache(root, store.content, o.warn, remote);
    const worker = new BuildWorker(svc, { context, downloads, bases, secrets: o.secrets ?? {}, ssh: o.ssh ?? {} });
    let cached = 0;
    let ran = 0;
    let recorder = new BuildRecorder(filename, o.tags ?? []);
    const events: EventSink = (e) => {
      if (e.type === 'end') e.cached ? cached++ : ran++;
      recorder.on(e);
      o.events?.(e);
    };
    const solveOnce = async () => {
      const s = await solve(graph, worker, cache, events, {
        sourceChecksum, remoteChecksum: async (url) => `sha256:${(await downloads.get(url)).sha256}`, noCache: o.noCache ?? false, noCacheFilter: o.noCacheFilter ?? [],
        ...(o.concurrency ? { concurrency: o.concurrency } : {}), ...(o.signal ? { signal: o.signal } : {}),
      });
      // The output's blobs are fetched before anything is written, so a bad remote blob is still a miss.
      await remote.prefetch(s.head === null ? [] : s.outcomes.get(s.head)?.state.layers ?? []);
      return s;
    };
    const solved = await retryBadBlobs(remote, cache, solveOnce, () => {
      cached = 0;
      ran = 0;
      recorder = new BuildRecorder(filename, o.tags ?? []);
    }).catch(async (e: unknown) => {
      await recorder.save(root).catch(() => {});
      throw e;
    });
    for (const c of opened.values()) await (await c).save();
    const image = assembleImage(graph, solved, svc.blobs ?? store.content, epoch !== undefined ? now() : undefined, o.labels);
    await store.save(image, o.tags ?? []);
    await writeOutputs(store, image, o.outputs ?? [], o.tags ?? [], o.stdout);
    await recorder.save(root, (await image.manifest()).config.digest);
    const pushed: string[] = [];
    if (o.push) {
      const wire = await withCompressedLayers(store.content, image);
      for (const t of o.tags ?? []) pushed.push(`${t}@${(await push(wire, t, { insecure: o.push.insecure === true })).digest}`);
    }
    const exported = cacheTo.length > 0 ? await exportBuildCache(cacheTo, root, store, graph, solved, { warn, required, mounts: o.cacheMounts ?? false }) : [];
    await remote.close();
    const remoteCache = remote.active || cacheTo.length > 0 || (o.cacheTo ?? []).length > 0
      ? { remoteCache: { imported: remote.stats(), exported, ...(mountsImported ? { mountsImported } : {}) } } : {};
    const names = (o.tags ?? []).map((t) => t);
    return { image, digest: await image.digest(), id: (await image.manifest()).config.digest, names, cached, ran, pushed, driver: snap.opened ? `${snap.opened.driverName} (${snap.opened.reason})` : 'none (no step needed a filesystem)', ...remoteCache };
  } finally {
    await downloads.close();
    store.close();
  }
}
