import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Executor, ExecutorError, UnknownUserError, parseRunMount, prepareRunMounts, type OutputSink, type RunResult } from '@strata/executor';
import { LocalStore, defaultStateRoot, type Digest, type Image } from '@strata/oci';
import { openSnapshotter, type Snapshotter } from '@strata/snapshot';
import { ensureChain } from './layer-chain.js';
import { reapStale, scratchName } from './stale.js';

/** What `strata run` asks for: a throwaway container from an image in the local store (`docker run --rm`). */
export interface RunContainerOptions {
  /** Name or id of an image in the local store. */
  image: string;
  /** Replaces the image's Cmd (the Entrypoint stays, as with docker run). */
  cmd?: string[];
  /** `--entrypoint`: replaces the image's Entrypoint and drops its Cmd, as docker run does ('' : none). */
  entrypoint?: string;
  /**
   * `-v SRC:DST[:ro]`: host directories or files bound in, read-write unless `readonly` (writes reach the
   * host, as with docker run -v; `mounts` binds keep the host untouched).
   */
  volumes?: Array<{ source: string; target: string; readonly: boolean }>;
  /** `KEY=value`, or `KEY` to pass the caller's value on. */
  env?: string[];
  user?: string;
  workdir?: string;
  hostname?: string;
  network?: 'none' | 'host';
  /** `--add-host`: `host ip` lines for /etc/hosts. */
  extraHosts?: string[];
  /** `--mount` texts with RUN --mount semantics (bind sources are host paths). */
  mounts?: string[];
  stateRoot?: string;
  stdin?: 'inherit' | 'ignore';
  stdout?: OutputSink;
  stderr?: OutputSink;
  signal?: AbortSignal;
}

/** Unpacks each layer into a committed snapshot named by its chain id (shared by builds and later runs); returns the top. */
export async function unpackImage(snap: Snapshotter, img: Image): Promise<string | undefined> {
  return ensureChain(snap, await img.layers());
}

function mergeEnv(image: string[], extra: string[]): string[] {
  const env = new Map(image.map((e) => [e.split('=')[0]!, e]));
  for (const e of extra) {
    const k = e.split('=')[0]!;
    if (e.includes('=')) env.set(k, e);
    else if (process.env[k] !== undefined) env.set(k, `${k}=${process.env[k]}`);
  }
  return [...env.values()];
}

/** Runs a command in a throwaway container from a local image; everything it wrote is discarded. */
export async function runContainer(o: RunContainerOptions): Promise<RunResult> {
  const root = o.stateRoot ?? defaultStateRoot();
  const store = new LocalStore(root);
  const img = await store.image(o.image);
  const cfg = (await img.config()).config ?? {};
  const entrypoint = o.entrypoint === undefined ? cfg.Entrypoint ?? [] : o.entrypoint === '' ? [] : [o.entrypoint];
  const argv = [...entrypoint, ...(o.cmd && o.cmd.length ? o.cmd : o.entrypoint === undefined ? cfg.Cmd ?? [] : [])];
  if (argv.length === 0) throw new ExecutorError(`image ${o.image} has no command: give one after the image name`);
  const digest: Digest = await img.digest();
  const hostname = o.hostname ?? ((o.network ?? 'none') === 'host' ? os.hostname() : digest.slice(7, 19));
  const snap = await openSnapshotter({ root });
  await reapStale(root, snap);
  const top = await unpackImage(snap, img);
  const key = `${scratchName('run')}${randomBytes(8).toString('hex')}`;
  const mountable = await snap.prepare(key, top);
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  const target = await mkdtemp(path.join(root, 'tmp', scratchName('run')));
  let release: (() => Promise<void>) | undefined;
  let prepared: Awaited<ReturnType<typeof prepareRunMounts>> | undefined;
  try {
    release = await mountable.mount(target);
    prepared = await prepareRunMounts((o.mounts ?? []).map(parseRunMount), {
      stateRoot: root,
      resolveFrom: (from) => {
        if (from) throw new ExecutorError(`--mount from=${from} needs a build; strata run binds host paths`);
        return '/';
      },
      signal: o.signal,
    });
    return await new Executor().run({
      rootfs: target,
      argv,
      env: mergeEnv([...(cfg.Env ?? []), `HOSTNAME=${hostname}`], [...(o.env ?? []), ...prepared.env]),
      cwd: o.workdir ?? (cfg.WorkingDir || '/'),
      user: o.user ?? cfg.User,
      hostname,
      network: o.network ?? 'none',
      ...(o.extraHosts ? { extraHosts: o.extraHosts } : {}),
      mounts: [...prepared.mounts, ...(o.volumes ?? []).map((v) => ({ type: 'bind' as const, ...v }))],
      stdin: o.stdin ?? 'ignore',
      stdout: o.stdout,
      stderr: o.stderr,
    }, o.signal).catch((e: unknown) => {
      // Name the image whose tables were read.
      if (e instanceof UnknownUserError) throw new UnknownUserError(e.message.replace(/not in \//, `not in ${o.image}:/`));
      throw e;
    });
  } finally {
    await prepared?.release();
    await release?.();
    // rmdir, never a recursive delete: if the unmount failed this must not touch the image's layers.
    await rmdir(target);
    await snap.remove(key);
  }
}
