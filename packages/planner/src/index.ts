/** @strata/planner: Dockerfile stages → build graph (compile) → cached, parallel execution plan (solve). */
export { compile } from './compile.js';
export type { CompileOptions } from './compile.js';
export type { ImageResolver, NamedContext, ResolvedImage } from './compile-state.js';
export { solve } from './solve.js';
export type { OpOutcome, SolveOptions, SolveResult } from './solve.js';
export type {
  ConfigOp, CopyAction, ExecMount, ExecOp, FileOp, Graph, MkdirAction, Op, OpBase, OpKind, PlannedBase, SourceOp,
  StagePlan, Step,
} from './graph.js';
export { KEY_VERSION, cacheKey, opDefinition, preImageOf } from './keys.js';
export type { PreImage, SourceDigest } from './keys.js';
export { differences, explainMiss, opLabel } from './explain.js';
export type { StoredPreImage } from './explain.js';
export { MemoryCacheIndex } from './cache-index.js';
export type { CacheIndex, CacheRecord } from './cache-index.js';
export type { OpRunner, RunInput, RunResult, RunnableOp, SourceChecksumFn, SourceRequest } from './runner.js';
export type { OutsideSlot } from './slots.js';
export type { EventBase, EventSink, SolveEvent } from './events.js';
export { PlannerError, SolveAbortedError, StepError } from './errors.js';
export { canonicalJson, digestJson } from './canonical.js';
export { DEFAULT_PATH, resolveDest } from './dispatch-fs.js';
export { HISTORY_COMMENT } from './history.js';
