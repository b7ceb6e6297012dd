import type { ContainerConfig, HistoryEntry, ImageConfig } from '@strata/oci';

/**
 * The build graph compile produces: ops with expanded definitions, deduplicated by a structural id, and per
 * stage the resulting image config and history. Nothing here touches a disk; the builder's OpRunner does.
 */

/** What every op carries. */
export interface OpBase {
  /** Structural id: a digest of kind, definition, parent and deps, so identical ops collapse into one. */
  id: string;
  /** Stage index the op was compiled for (the first one when deduplicated). */
  stage: number;
  /** Name of that stage, or null. */
  stageName: string | null;
  /** 1-based Dockerfile line of the instruction; for an ONBUILD trigger, the FROM line. */
  line: number;
  /** The instruction as shown in progress output, e.g. `RUN make build`. */
  text: string;
  /**
   * Stable position of the op between builds (`<stage name or index>/<n>`, n counting filesystem ops only;
   * `/meta<n>` for metadata ops), under which the cache keeps
   * pre-images so a miss can be compared with the nearest earlier build of the same step.
   */
  slot: string;
  /** The op whose filesystem this op starts from (null: an empty rootfs). */
  parent: string | null;
  /** Other ops whose results this op reads (COPY --from, RUN --mount from=). */
  deps: string[];
  /** ARG values this op can see: every ARG in scope for RUN, only those used in expansions otherwise. */
  args: Record<string, string>;
  /** ENV values this op can see: all of them for RUN, only those used in expansions otherwise. */
  env: Record<string, string>;
}

/** A base image (FROM image, COPY --from=image, RUN --mount from=image). */
export interface SourceOp extends OpBase {
  kind: 'source';
  /** The image reference as resolved (tag or digest). */
  ref: string;
  /** The manifest digest the resolver returned: the key depends on this, not on the tag. */
  digest: string;
  platform: string;
}

/**
 * Files read from a context directory: the build's own, or a named one (`--build-context NAME=DIR`). The
 * name stays out of the key: the digest of exactly the paths read is in it.
 */
export interface ContextFrom {
  kind: 'context';
  name?: string;
}

/** One RUN --mount, expanded. */
export interface ExecMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target: string | null;
  source: string | null;
  /** Where a bind/cache mount reads from: the context (a named one: --build-context), another op's result, or nothing (scratch). */
  from: ContextFrom | { kind: 'op'; op: string | null } | null;
  readonly: boolean;
  id: string | null;
  sharing: 'shared' | 'private' | 'locked' | null;
  mode: string | null;
  uid: string | null;
  gid: string | null;
  required: boolean;
  size: string | null;
  env: string | null;
}

/** RUN. */
export interface ExecOp extends OpBase {
  kind: 'exec';
  argv: string[];
  /** The process environment, `K=V` (ENV, then ARGs not shadowed by ENV, then PATH if missing). */
  envList: string[];
  /** Proxy variables from build args: passed to the process, kept out of the key (as BuildKit does). */
  proxyEnv: string[];
  cwd: string;
  /** USER as written/expanded; '' means root. */
  user: string;
  network: 'default' | 'none' | 'host';
  /** `--add-host` entries of the build, `host ip` each, in /etc/hosts order. */
  extraHosts: string[];
  security: 'sandbox' | 'insecure';
  mounts: ExecMount[];
  /** Files mounted read-only for the process (a `#!` RUN heredoc at /dev/pipes/NAME). */
  files: Array<{ path: string; data: string; mode: number }>;
  platform: string;
}

/** COPY/ADD. */
export interface CopyAction {
  type: 'copy';
  add: boolean;
  /** Where sources come from: the build context (or a named one), or another op's result (null: an empty stage). */
  from: ContextFrom | { kind: 'op'; op: string | null };
  /** Source paths, expanded (wildcards left for the runner, as BuildKit does). */
  sources: string[];
  /** Heredoc sources: files with their (expanded where the delimiter was unquoted) contents. */
  inline: Array<{ name: string; data: string }>;
  /** Absolute destination; a trailing `/` means "into this directory". */
  dest: string;
  chown: string | null;
  chmod: string | null;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** ADD only. */
  checksum: string | null;
  unpack: boolean | null;
  keepGitDir: boolean;
}

/** WORKDIR's directory creation. */
export interface MkdirAction {
  type: 'mkdir';
  path: string;
  mode: number;
  /** Owner for the created directories (USER at that point), '' for root. */
  user: string;
}

/** A filesystem change that is not a process: COPY, ADD, WORKDIR. */
export interface FileOp extends OpBase {
  kind: 'file';
  action: CopyAction | MkdirAction;
  platform: string;
}

/** A metadata-only instruction: no filesystem change, nothing to run or cache. */
export interface ConfigOp extends OpBase {
  kind: 'config';
  /** The fields the instruction set (already expanded). */
  change: ContainerConfig;
}

/** Any op. */
export type Op = SourceOp | ExecOp | FileOp | ConfigOp;

/** An op before compile assigned its id. */
export type NewOp = Op extends infer T ? (T extends Op ? Omit<T, 'id'> : never) : never;

/** An op kind. */
export type OpKind = Op['kind'];

/** One instruction of a stage in order, with the history entry it adds to the image. */
export interface Step {
  op: string;
  history: HistoryEntry;
}

/** What a stage starts from. */
export type PlannedBase =
  | { kind: 'scratch' }
  | { kind: 'image'; ref: string; digest: string; op: string }
  | { kind: 'stage'; index: number };

/** One stage reachable from the target. */
export interface StagePlan {
  index: number;
  name: string | null;
  platform: string;
  base: PlannedBase;
  /** The op whose result is the stage's root filesystem (null: empty). */
  head: string | null;
  /**
   * The image config of the stage's result: base config with every instruction applied and the full history
   * (base entries, then one per instruction). rootfs.diff_ids is left for the builder to fill.
   */
  config: ImageConfig;
  /**
   * The instructions that add history, in order: `config.history` ends with exactly `steps.map(s => s.history)`
   * (ONBUILD adds none, so it has no step).
   */
  steps: Step[];
}

/** What compile returns. */
export interface Graph {
  /** Every op, in an order where parents and deps come first. */
  ops: Map<string, Op>;
  /** Reachable stages by index (unreachable ones are absent). */
  stages: Map<number, StagePlan>;
  /** The stage the build produces. */
  target: number;
  /** Dockerfile name used in messages. */
  filename: string;
  /** `--build-arg` names no ARG of the built stages declares (BuildKit warns about these). */
  unusedBuildArgs: string[];
}
