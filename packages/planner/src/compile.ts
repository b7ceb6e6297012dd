import { PROXY_ARGS, parse, parsePlatform, toStages } from '@strata/dockerfile';
import type { Instruction, Stage, StageRef, Stages } from '@strata/dockerfile';
import type { ImageConfig } from '@strata/oci';
import { digestJson } from './canonical.js';
import type { CompilerContext, ImageResolver, NamedContext, ResolvedImage, StageState } from './compile-state.js';
import { dispatchMeta, type MetaInstruction } from './dispatch-config.js';
import { DEFAULT_PATH, dispatchCopy, dispatchRun, dispatchWorkdir, seedFromContext } from './dispatch-fs.js';
import { PlannerError } from './errors.js';
import type { Graph, NewOp, Op, PlannedBase, StagePlan } from './graph.js';
import { reachableStages, findTarget } from './reachability.js';
import { Scope } from './scope.js';

/** Options of compile. */
export interface CompileOptions {
  /** `--target`: stage name or index; default the last stage. */
  target?: string;
  /** `--build-arg` values (the same ones given to toStages). */
  buildArgs?: Record<string, string>;
  /** Resolves base images to a digest and config (the builder's store/registry). */
  resolveImage: ImageResolver;
  /** Dockerfile name for messages. */
  filename?: string;
  /** `--network` of the build: the network of every RUN without its own --network (part of their keys). */
  network?: 'default' | 'none' | 'host';
  /** `--add-host`: `host ip` entries added to every RUN's /etc/hosts (part of their keys, as in BuildKit). */
  extraHosts?: string[];
  /** `--build-context`: by lower-cased name, what stands for a stage or image of that name. */
  namedContexts?: Record<string, NamedContext>;
}

/**
 * Stages → graph. Only stages the target needs are compiled; base images are resolved through the injected
 * resolver so their ENV, SHELL, ONBUILD, CMD… take part; every instruction's fields BuildKit expands are
 * expanded with the ARG/ENV in scope at that point.
 */
export async function compile(stages: Stages, opts: CompileOptions): Promise<Graph> {
  const filename = opts.filename ?? 'Dockerfile';
  const target = findTarget(stages, opts.target, filename);
  const needed = reachableStages(stages, target, filename);
  const ops = new Map<string, Op>();
  const plans = new Map<number, Promise<StagePlan>>();
  const images = new Map<string, Promise<{ op: string; image: ResolvedImage }>>();

  const addOp = (op: NewOp): string => {
    const { stage: _s, stageName: _n, line: _l, text: _t, slot: _slot, ...semantic } = op;
    const id = digestJson(semantic);
    if (!ops.has(id)) ops.set(id, { ...op, id } as Op);
    return id;
  };

  const imageSource = (ref: string, platform: string, line: number, stage: Stage): Promise<{ op: string; image: ResolvedImage }> => {
    const memo = `${platform}\0${ref}`;
    let p = images.get(memo);
    if (p === undefined) {
      p = (async () => {
        let image: ResolvedImage;
        try {
          image = await opts.resolveImage(ref, platform);
        } catch (err) {
          throw new PlannerError(`${line === stage.range.start.line ? 'base image' : 'image'} ${ref}: ${(err as Error).message.split('\n')[0]}`, line, filename);
        }
        const op = addOp({
          kind: 'source', stage: stage.index, stageName: stage.name, line, text: `FROM ${ref}`, slot: `source/${ref}`,
          parent: null, deps: [], args: {}, env: {}, ref, digest: image.digest, platform,
        });
        return { op, image };
      })();
      images.set(memo, p);
    }
    return p;
  };

  const cx: CompilerContext = {
    stages,
    filename,
    buildArgs: opts.buildArgs ?? {},
    network: opts.network ?? 'default',
    extraHosts: opts.extraHosts ?? [],
    addOp,
    named: (ref: StageRef) => {
      const name = (ref.kind === 'stage' ? ref.name : ref.ref)?.toLowerCase();
      const nc = name ? opts.namedContexts?.[name] : undefined;
      return nc === undefined ? undefined : { ...nc, name: name! };
    },
    // A directory context is read as a context (the callers ask `named` first), never through here.
    refHead: async (ref: StageRef, st: StageState, line: number) => {
      const nc = cx.named(ref);
      if (nc?.kind === 'image') return nc.ref === 'scratch' ? null : (await imageSource(nc.ref, st.platform, line, st.stage)).op;
      if (ref.kind === 'stage') return (await stagePlan(ref.index)).head;
      return (await imageSource(ref.ref, st.platform, line, st.stage)).op;
    },
  };

  // A stage named by --build-context is replaced by that context.
  const stagePlan = (index: number): Promise<StagePlan> => {
    let p = plans.get(index);
    if (p === undefined) {
      const stage = stages.stages[index]!;
      const nc = stage.name ? cx.named({ kind: 'stage', index, name: stage.name, raw: stage.name }) : undefined;
      p = nc === undefined ? compileStage(cx, stage, stagePlan, imageSource)
        : nc.kind === 'dir' ? compileStage(cx, { ...emptied(stage), base: { kind: 'scratch' } }, stagePlan, imageSource, nc.name)
        : compileStage(cx, imageStage(emptied(stage), nc.ref), stagePlan, imageSource);
      plans.set(index, p);
    }
    return p;
  };

  const out = new Map<number, StagePlan>();
  for (const index of needed) out.set(index, await stagePlan(index));
  return { ops, stages: out, target, filename, unusedBuildArgs: unusedBuildArgs(stages, needed, cx.buildArgs) };
}

type ImageSourceFn = (ref: string, platform: string, line: number, stage: Stage) => Promise<{ op: string; image: ResolvedImage }>;

/** A stage without its instructions (replaced by a named context). */
const emptied = (stage: Stage): Stage => ({ ...stage, instructions: [] });
/** `stage` based on the image `ref` (`scratch`: nothing). */
const imageStage = (stage: Stage, ref: string): Stage => ({ ...stage, image: ref, base: ref === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref } });

async function compileStage(
  cx: CompilerContext, given: Stage, stagePlan: (i: number) => Promise<StagePlan>, imageSource: ImageSourceFn, filesFrom?: string,
): Promise<StagePlan> {
  // FROM NAME, where --build-context names NAME: an image in its place, or a directory's files on scratch.
  const named = given.base.kind === 'image' ? cx.named({ kind: 'image', ref: given.image }) : undefined;
  const stage = named?.kind === 'image' ? imageStage(given, named.ref) : named?.kind === 'dir' ? { ...given, base: { kind: 'scratch' as const } } : given;
  if (named?.kind === 'dir') filesFrom = named.name;
  const platform = stage.platform ?? cx.stages.platformArgs.TARGETPLATFORM;
  const line = stage.range.start.line;
  let config: ImageConfig;
  let head: string | null = null;
  let base: PlannedBase;
  if (stage.base.kind === 'scratch') {
    config = { architecture: '', os: '', config: { Env: [`PATH=${DEFAULT_PATH}`] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    base = { kind: 'scratch' };
  } else if (stage.base.kind === 'image') {
    const src = await imageSource(stage.image, platform, line, stage);
    config = structuredClone(src.image.config);
    head = src.op;
    base = { kind: 'image', ref: stage.image, digest: src.image.digest, op: src.op };
  } else {
    const parent = await stagePlan(stage.base.index);
    config = structuredClone(parent.config);
    head = parent.head;
    base = { kind: 'stage', index: stage.base.index };
  }
  const p = parsePlatform(platform);
  config.architecture = p.architecture;
  config.os = p.os;
  if (p.variant !== '') config.variant = p.variant;
  else delete config.variant;
  config.config ??= {};
  config.history ??= [];
  const plan: StagePlan = { index: stage.index, name: stage.name, platform, base, head, config, steps: [] };
  const scope = new Scope(cx.stages.escape, cx.filename);
  scope.loadEnv(config.config.Env);
  const st: StageState = {
    stage, plan, scope, config: config.config, head, ordinal: 0, metaOrdinal: 0, cmdSet: false, platform, lineOverride: line,
  };
  if (filesFrom !== undefined) seedFromContext(cx, st, filesFrom);
  // Triggers of the base run first, right after FROM, and are consumed: the new image has only its own.
  const triggers = config.config.OnBuild ?? [];
  if (config.config.OnBuild !== undefined) config.config.OnBuild = null;
  for (const expr of triggers) await dispatch(cx, st, parseTrigger(expr, cx, line));
  st.lineOverride = null;
  for (const ins of stage.instructions) await dispatch(cx, st, ins);
  plan.head = st.head;
  config.history.push(...plan.steps.map((s) => s.history));
  return plan;
}

async function dispatch(cx: CompilerContext, st: StageState, ins: Instruction): Promise<void> {
  switch (ins.kind) {
    case 'RUN':
      return dispatchRun(cx, st, ins);
    case 'COPY':
    case 'ADD':
      return dispatchCopy(cx, st, ins);
    case 'WORKDIR':
      return dispatchWorkdir(cx, st, ins);
    default:
      return dispatchMeta(cx, st, ins as MetaInstruction);
  }
}

function unusedBuildArgs(stages: Stages, needed: number[], buildArgs: Record<string, string>): string[] {
  const declared = new Set<string>(PROXY_ARGS);
  for (const g of stages.globalArgs) for (const a of g.args) declared.add(a.name);
  for (const i of needed) {
    for (const ins of stages.stages[i]!.instructions) {
      if (ins.kind === 'ARG') for (const a of ins.args) declared.add(a.name);
      if (ins.kind === 'ONBUILD' && ins.inner.kind === 'ARG') for (const a of ins.inner.args) declared.add(a.name);
    }
  }
  return Object.keys(buildArgs).filter((n) => !declared.has(n)).sort();
}

/** Parse an ONBUILD trigger of a base image into a typed instruction. */
function parseTrigger(expr: string, cx: CompilerContext, line: number): Instruction {
  const escape = cx.stages.escape === '`' ? '# escape=`\n' : '';
  let ins: Instruction | undefined;
  try {
    ins = toStages(parse(`${escape}FROM scratch\n${expr}\n`, { filename: cx.filename }), { buildArgs: cx.buildArgs })
      .stages[0]?.instructions[0];
  } catch (err) {
    throw new PlannerError(`ONBUILD trigger ${JSON.stringify(expr)} of the base image: ${(err as Error).message}`, line, cx.filename);
  }
  if (ins === undefined) throw new PlannerError(`empty ONBUILD trigger of the base image`, line, cx.filename);
  return ins;
}
