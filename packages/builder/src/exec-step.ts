import { lstat, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Executor, prepareRunMounts, type RunMountOptions, type SecretSource } from '@strata/executor';
import type { ExecMount, ExecOp, OutsideSlot } from '@strata/planner';
import type { LayerChain } from '@strata/cache';
import { BuildError } from './errors.js';
import { layerStep, scratchDir, withChainView, type StepOutcome, type StepServices } from './step-layer.js';
import { scratchName } from './stale.js';
import { contextView, type ContextView } from './context-view.js';
import type { BuildContext } from '@strata/context';

/** What a RUN step gets from the build besides its op. */
export interface ExecInputs {
  /** The build's context, or a named one (`--build-context NAME=DIR`): what a mount of it shows (contextView). */
  context(name?: string): Promise<BuildContext>;
  parent: LayerChain | null;
  deps: ReadonlyMap<string, LayerChain | null>;
  secrets: Record<string, SecretSource>;
  ssh: Record<string, string>;
  signal: AbortSignal;
  log(stream: 'stdout' | 'stderr', data: string): void;
  /** Waits for the container without holding the build's work slot (the planner's; absent: hold it). */
  outsideSlot?: OutsideSlot;
}

/** Prefix of a mount's `from` that names a directory context rather than an op (op ids are digests). */
const NAMED = 'context:';

/** The planner's expanded RUN --mount in the executor's terms; `from` names the op whose result is mounted. */
function toRunMount(m: ExecMount): RunMountOptions {
  const o: RunMountOptions = { type: m.type };
  if (m.target !== null) o.target = m.target;
  if (m.source !== null) o.source = m.source;
  if (m.from?.kind === 'op') o.from = m.from.op ?? '';
  else if (m.from?.kind === 'context' && m.from.name !== undefined) o.from = `${NAMED}${m.from.name}`;
  if (m.type === 'bind') o.readwrite = !m.readonly;
  else if (m.type === 'cache') o.readwrite = !m.readonly;
  if (m.id !== null) o.id = m.id;
  if (m.sharing !== null) o.sharing = m.sharing;
  if (m.mode !== null) o.mode = Number.parseInt(m.mode, 8);
  if (m.uid !== null) o.uid = Number(m.uid);
  if (m.gid !== null) o.gid = Number(m.gid);
  if (m.size !== null) o.size = parseSize(m.size);
  if (m.env !== null) o.env = m.env;
  o.required = m.required;
  return o;
}

function parseSize(v: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(v);
  if (!m) throw new BuildError(`--mount size=${v} is not a size`);
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

/** Mounts read-only views of every op result the step's mounts read from, then calls `use` with their paths. */
async function withViews<T>(svc: StepServices, ids: string[], deps: ReadonlyMap<string, LayerChain | null>, use: (paths: Map<string, string>) => Promise<T>, acc = new Map<string, string>()): Promise<T> {
  if (ids.length === 0) return use(acc);
  const [id, ...rest] = ids as [string, ...string[]];
  return withChainView(svc, deps.get(id) ?? null, (p) => withViews(svc, rest, deps, use, new Map(acc).set(id, p)));
}

/** Paths the launcher will create as mount points (absent in the rootfs now), to be removed after the run. */
async function missingTargets(rootfs: string, targets: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of targets) {
    let missing: string | undefined;
    for (let p = path.posix.normalize(t); p !== '/' && p !== '.'; p = path.posix.dirname(p)) {
      if (await lstat(path.join(rootfs, p)).then(() => false, () => true)) missing = p;
      else break;
    }
    if (missing) out.push(missing);
  }
  return out;
}

/**
 * RUN: the op's command in a container over a writable snapshot of the parent. A non-zero exit fails the step
 * with its code and the last lines of its output. Mount points created for RUN --mount are removed again so
 * that neither they nor a secret ever reach the layer.
 */
export async function runExec(svc: StepServices, op: ExecOp, inp: ExecInputs): Promise<StepOutcome> {
  const mounts = op.mounts.map(toRunMount);
  const fromOps = [...new Set(op.mounts.flatMap((m) => (m.from?.kind === 'op' && m.from.op ? [m.from.op] : [])))];
  const tail: string[] = [];
  const sink = (stream: 'stdout' | 'stderr') => (line: string) => {
    inp.log(stream, line + '\n');
    tail.push(line);
    if (tail.length > 12) tail.shift();
  };
  return withViews(svc, fromOps, inp.deps, (views) => layerStep(svc, inp.parent, async (rootfs) => {
    const created = await missingTargets(rootfs, mounts.flatMap((m) => (m.target ? [m.target] : m.type === 'secret' ? [`/run/secrets/${m.id ?? ''}`] : [])));
    // A context mount shows what .dockerignore leaves, as BuildKit's transferred context does.
    const shown: ContextView[] = [];
    const showContext = async (name?: string) => {
      const v = await contextView(await inp.context(name), path.join(svc.root, 'tmp'));
      shown.push(v);
      return v.dir;
    };
    try {
      const prepared = await prepareRunMounts(mounts, {
        stateRoot: svc.root,
        resolveFrom: (from) => (from === undefined ? showContext() : from === '' ? scratchDir(svc.root, 'empty')
          : from.startsWith(NAMED) ? showContext(from.slice(NAMED.length)) : views.get(from) ?? showContext()),
        secrets: inp.secrets,
        ssh: inp.ssh,
        tmpDir: path.join(svc.root, 'tmp'),
        signal: inp.signal,
      });
      try {
        const waitOutside = inp.outsideSlot ?? ((work) => work());
        const r = await waitOutside(() => new Executor({ tmpDir: path.join(svc.root, 'tmp'), scratchPrefix: scratchName('exec'), zygote: true }).run({
          rootfs,
          argv: op.argv,
          env: [...op.envList, ...op.proxyEnv, ...prepared.env],
          cwd: op.cwd || '/',
          user: op.user || undefined,
          hostname: 'strata',
          etcHostname: false,
          network: op.network === 'none' ? 'none' : 'host',
          extraHosts: op.extraHosts,
          mounts: prepared.mounts,
          stdin: 'ignore',
          stdout: sink('stdout'),
          stderr: sink('stderr'),
        }, inp.signal));
        if (r.exitCode !== 0) {
          const why = r.oomKilled ? ' (out of memory)' : r.signal ? ` (${r.signal})` : '';
          throw new BuildError(`process ${JSON.stringify(op.argv.join(' '))} did not complete successfully: exit code ${r.exitCode}${why}`, tail.slice());
        }
      } finally {
        await prepared.release();
      }
    } finally {
      for (const v of shown) await v.release();
    }
    for (const p of created) await rm(path.join(rootfs, p), { recursive: true, force: true }).catch(() => rmdir(path.join(rootfs, p)).catch(() => {}));
  }));
}
