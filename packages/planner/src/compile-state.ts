import type { Stage, StageRef, Stages } from '@strata/dockerfile';
import type { ContainerConfig, ImageConfig } from '@strata/oci';
import type { NewOp, StagePlan } from './graph.js';
import type { Scope } from './scope.js';

/** A base image as the injected resolver returns it. */
export interface ResolvedImage {
  /** Manifest digest (for the platform asked for). */
  digest: string;
  /** The image config; its Env, OnBuild, Cmd… seed the stage. */
  config: ImageConfig;
}

/** Looks up an image reference for a platform (the builder wires the store and the registry here). */
export type ImageResolver = (ref: string, platform: string) => Promise<ResolvedImage>;

/** Everything a stage's instructions change while they are compiled. */
export interface StageState {
  stage: Stage;
  plan: StagePlan;
  scope: Scope;
  /** The container config being built (plan.config.config). */
  config: ContainerConfig;
  /** Op holding the current root filesystem. */
  head: string | null;
  /**
   * Filesystem ops compiled so far (triggers included), for slot ids. Metadata instructions do not count, so
   * adding a LABEL does not move the slots of the steps after it.
   */
  ordinal: number;
  /** Metadata instructions compiled so far. */
  metaOrdinal: number;
  /** CMD was set by this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  platform: string;
  /** Line used for the instructions being compiled (ONBUILD triggers use the FROM line). */
  lineOverride: number | null;
}

/** Services the instruction compilers use from the compiler. */
export interface CompilerContext {
  stages: Stages;
  filename: string;
  buildArgs: Record<string, string>;
  /** The network of a RUN without --network (`--network` of the build); 'default' when not given. */
  network: 'default' | 'none' | 'host';
  /** `--add-host` entries (`host ip`) every RUN's /etc/hosts gets. */
  extraHosts: string[];
  /** The named context (--build-context) a FROM, COPY --from or mount from= names, if any. */
  named(ref: StageRef): (NamedContext & { name: string }) | undefined;
  /** Add an op (its id is computed) and return its id; an identical op is reused. */
  addOp(op: NewOp): string;
  /** The head op of a referenced stage or the source op of a referenced image. */
  refHead(ref: StageRef, st: StageState, line: number): Promise<string | null>;
}

/**
 * A `--build-context NAME=VALUE`: an image standing for NAME (`docker-image://REF`; REF `scratch` for an empty
 * one) or a local directory read as a second context. It takes the place of a stage called NAME, or of an
 * image reference NAME, in FROM, COPY --from and RUN --mount from=.
 */
export type NamedContext = { kind: 'image'; ref: string } | { kind: 'dir' };
