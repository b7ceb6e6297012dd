import type { ContainerConfig } from '@strata/oci';
import type { ExecOp, FileOp, SourceOp } from './graph.js';
import type { SourceDigest } from './keys.js';
import type { OutsideSlot } from './slots.js';

/** An op that does filesystem work (config ops are applied by compile and never run). */
export type RunnableOp = SourceOp | ExecOp | FileOp;

/** What the runner gets for one op. */
export interface RunInput<S> {
  op: RunnableOp;
  /** The cache key the result will be stored under. */
  key: string;
  /** State of `op.parent` (null: empty root filesystem). */
  parent: S | null;
  /** States of `op.deps`, by op id (null: an empty stage). */
  deps: ReadonlyMap<string, S | null>;
  /** Aborted when another step failed or the caller cancelled. */
  signal: AbortSignal;
  /** Forward process output; every chunk becomes a `log` event. */
  log(stream: 'stdout' | 'stderr', data: string): void;
  /**
   * Wait for something that does not use this process's slot (a RUN's container) without holding it; the
   * slot is taken again before it returns.
   */
  outsideSlot: OutsideSlot;
}

/** What the runner returns: the new state handle and facts about it. */
export interface RunResult<S> {
  state: S;
  /** The op produced no filesystem change (its history entry becomes empty_layer). */
  emptyLayer?: boolean;
  /** Config fields the op learned while running (none for Dockerfile ops today; reserved for the builder). */
  config?: ContainerConfig;
}

/** Runs ops on real disks: the builder implements it on snapshot + executor + store. */
export interface OpRunner<S> {
  run(input: RunInput<S>): Promise<RunResult<S>>;
}

/** A request for the checksum of context paths an op reads. */
export interface SourceRequest {
  op: ExecOp | FileOp;
  /** A named context (--build-context NAME=DIR) read instead of the build's own. */
  context?: string;
  /** Context-relative paths or wildcard patterns (never URLs: those go to `remoteChecksum`). */
  sources: string[];
  /** `COPY --exclude` patterns. */
  exclude: string[];
  /** An octal `--chmod` given: the source mode does not reach the image (a symbolic one is applied to it). */
  dropMode: boolean;
  /** `--chown` given: the source owner does not reach the image. */
  dropOwner: boolean;
}

/** Checksums context sources (the builder wires @strata/context here; the planner never reads files). */
export type SourceChecksumFn = (req: SourceRequest) => Promise<SourceDigest>;
