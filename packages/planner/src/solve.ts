import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { CacheIndex } from './cache-index.js';
import { PlannerError, SolveAbortedError, StepError } from './errors.js';
import type { EventBase, EventSink } from './events.js';
import { explainMiss, opLabel } from './explain.js';
import type { FileOp, Graph, Op } from './graph.js';
import { cacheKey, preImageOf, type PreImage, type SourceDigest } from './keys.js';
import type { OpRunner, RunnableOp, SourceChecksumFn, SourceRequest } from './runner.js';
import { Slots } from './slots.js';

/** Options of solve. */
export interface SolveOptions {
  /** Checksums context paths for COPY/ADD and context bind mounts. Required when the graph reads the context. */
  sourceChecksum?: SourceChecksumFn;
  /**
   * Digest of a remote ADD source (`ADD https://…` without `--checksum`): the builder fetches or asks the
   * server. With `--checksum` the given digest is the key; without either, the URL itself is.
   */
  remoteChecksum?: (url: string, op: FileOp) => Promise<string>;
  /** `--no-cache`: run every op (results are still stored). */
  noCache?: boolean;
  /** `--no-cache-filter`: stage names (or indexes) whose ops ignore the cache. */
  noCacheFilter?: string[];
  /** Ops run at once; default one per core. */
  concurrency?: number;
  /** Cancels the solve. */
  signal?: AbortSignal;
}

/** The outcome of one op. */
export interface OpOutcome<S> {
  key: string;
  state: S;
  cached: boolean;
  emptyLayer: boolean;
  preImage: PreImage;
}

/** What solve returns: the outcome of every op it needed, by op id. */
export interface SolveResult<S> {
  outcomes: Map<string, OpOutcome<S>>;
  /** The target stage's head op (null: the target has an empty root filesystem). */
  head: string | null;
}

/**
 * Solve the target of a graph: each op's key is computed once its parent's and deps' keys are known; a hit
 * returns the stored state without any work; a miss is explained, run through the OpRunner in a work slot
 * (p-queue, one per core; independent stages and steps in parallel; a RUN leaves its slot while it waits), and stored. The first failure aborts the rest and is thrown
 * as a StepError naming the Dockerfile line; steps that finished stay cached.
 */
export async function solve<S>(
  graph: Graph, runner: OpRunner<S>, cache: CacheIndex<S>, events: EventSink, opts: SolveOptions = {},
): Promise<SolveResult<S>> {
  const queue = new Slots(opts.concurrency ?? availableParallelism());
  const abort = new AbortController();
  const onCallerAbort = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const noCacheStages = new Set((opts.noCacheFilter ?? []).map((s) => s.toLowerCase()));
  const outcomes = new Map<string, OpOutcome<S>>();
  const nodes = new Map<string, Promise<OpOutcome<S>>>();
  let firstError: unknown;

  const base = (op: Op): EventBase => ({ op: op.id, line: op.line, text: op.text, stage: op.stageName });
  const fail = (op: Op, err: unknown): never => {
    if (err instanceof PlannerError) throw err;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    throw new StepError(`${op.text.split('\n')[0]}: ${message}`, op.line, graph.filename, op.id, err);
  };

  const node = (id: string): Promise<OpOutcome<S>> => {
    let p = nodes.get(id);
    if (p === undefined) {
      p = solveOp(id);
      nodes.set(id, p);
      p.catch((err) => {
        firstError ??= err;
        abort.abort(err);
      });
    }
    return p;
  };

  const solveOp = async (id: string): Promise<OpOutcome<S>> => {
    const op = graph.ops.get(id);
    if (op === undefined || op.kind === 'config') throw new PlannerError(`internal: op ${id} is not runnable`, 0, graph.filename);
    // Start the parent and every dep at once: independent stages must not wait for each other's discovery.
    const [parent, ...deps] = await Promise.all([op.parent === null ? null : node(op.parent), ...op.deps.map((d) => node(d))]);
    if (abort.signal.aborted) throw new SolveAbortedError('build cancelled', op.line, graph.filename);
    let sources: Record<string, SourceDigest>;
    try {
      sources = await contextSources(op, opts);
    } catch (err) {
      events({ ...base(op), type: 'error', message: err instanceof Error ? err.message : String(err) });
      return fail(op, err);
    }
    const preImage = preImageOf(op, parent?.key ?? null, deps.map((d) => d!.key), sources);
    const key = cacheKey(preImage);
    const started = Date.now();
    events({ ...base(op), type: 'start' });
    const bypass = opts.noCache === true ? '--no-cache'
      : noCacheStages.has(op.stageName ?? '') || noCacheStages.has(String(op.stage)) ? `--no-cache-filter ${op.stageName ?? op.stage}` : undefined;
    if (bypass === undefined) {
      const hit = await cache.get(key);
      if (hit !== undefined) {
        events({ ...base(op), type: 'cached', key });
        events({ ...base(op), type: 'end', cached: true, durationMs: Date.now() - started });
        return record(id, { key, state: hit.state, cached: true, emptyLayer: hit.emptyLayer === true, preImage });
      }
    }
    const reason = bypass !== undefined ? `${opLabel(op)}: ${bypass}`
      : explainMiss(op, preImage, await cache.nearest(op.slot, preImage.parent), changedAncestor(op, parent));
    events({ ...base(op), type: 'miss', key, reason });
    const depStates = new Map(op.deps.map((d, i) => [d, deps[i]!.state] as const));
    let result;
    try {
      result = await queue.run((outsideSlot) => {
        if (abort.signal.aborted) throw new SolveAbortedError('build cancelled', op.line, graph.filename);
        return runner.run({
          op: op as RunnableOp, key, parent: parent?.state ?? null, deps: depStates, signal: abort.signal, outsideSlot,
          log: (stream, data) => events({ ...base(op), type: 'log', stream, data }),
        });
      });
    } catch (err) {
      if (!abort.signal.aborted || firstError === undefined) {
        events({ ...base(op), type: 'error', message: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
      }
      return fail(op, err);
    }
    const out = { key, state: result.state, cached: false, emptyLayer: result.emptyLayer === true, preImage };
    await cache.put(key, { state: result.state, emptyLayer: out.emptyLayer }, preImage, op.slot);
    events({ ...base(op), type: 'end', cached: false, durationMs: Date.now() - started });
    return record(id, out);
  };

  const record = (id: string, o: OpOutcome<S>): OpOutcome<S> => {
    outcomes.set(id, o);
    return o;
  };

  const changedAncestor = (op: Op, parent: OpOutcome<S> | null): Op | undefined => {
    let cur: Op | undefined = op;
    let out: OpOutcome<S> | null | undefined = parent;
    // Walk up while ancestors missed too; the topmost one that missed is the step that changed.
    let changed: Op | undefined;
    while (cur?.parent != null && out != null && !out.cached) {
      changed = graph.ops.get(cur.parent);
      cur = changed;
      out = cur?.parent != null ? outcomes.get(cur.parent) : null;
    }
    return changed;
  };

  const head = graph.stages.get(graph.target)?.head ?? null;
  try {
    if (head !== null) await node(head);
  } catch (err) {
    firstError ??= err;
  } finally {
    opts.signal?.removeEventListener('abort', onCallerAbort);
  }
  if (firstError !== undefined) {
    await queue.onIdle();
    await Promise.allSettled(nodes.values());
    throw firstError;
  }
  return { outcomes, head };
}

/** Remote ADD sources (BuildKit's isURL: http, https; git is a separate source kind we do not take as a path). */
const URL_SOURCE = /^(https?|git):\/\//i;

/** The context reads of an op: COPY/ADD sources from the context, RUN bind mounts of the context, ADD URLs. */
async function contextSources(op: Op, opts: SolveOptions): Promise<Record<string, SourceDigest>> {
  const reqs: Array<[string, SourceRequest]> = [];
  const out: Record<string, SourceDigest> = {};
  if (op.kind === 'file' && op.action.type === 'copy' && op.action.from.kind === 'context') {
    const a = op.action;
    const named = op.action.from.name;
    const local = a.sources.filter((s) => !(a.add && URL_SOURCE.test(s)));
    if (local.length > 0) {
      reqs.push(['sources', { op, ...(named !== undefined ? { context: named } : {}), sources: local, exclude: a.exclude, dropMode: a.chmod !== null && /^[0-7]+$/.test(a.chmod), dropOwner: a.chown !== null }]);
    }
    for (const url of a.sources.filter((s) => a.add && URL_SOURCE.test(s))) {
      // Without --checksum or a remoteChecksum, the address alone keys the download (the builder decides
      // whether that is enough; BuildKit asks the server).
      const digest = a.checksum ?? (opts.remoteChecksum !== undefined
        ? await opts.remoteChecksum(url, op)
        : `sha256:${createHash('sha256').update(url).digest('hex')}`);
      out[`url ${url}`] = { digest, files: { [url]: `${digest.slice(-16)}:-` } };
    }
  }
  if (op.kind === 'exec') {
    for (const m of op.mounts) {
      if (m.from?.kind === 'context') {
        reqs.push([`mount ${m.target ?? ''}`, { op, ...(m.from.name !== undefined ? { context: m.from.name } : {}), sources: [m.source ?? '.'], exclude: [], dropMode: false, dropOwner: false }]);
      }
    }
  }
  if (reqs.length === 0) return out;
  if (opts.sourceChecksum === undefined) throw new PlannerError('internal: a step reads the build context but no sourceChecksum was given', op.line);
  for (const [role, req] of reqs) out[role] = await opts.sourceChecksum(req);
  return out;
}
