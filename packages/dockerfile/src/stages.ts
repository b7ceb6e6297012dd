/**
 * `toStages`: syntax tree → global ARGs and typed stages. Resolves what the text alone decides, as BuildKit's
 * dockerfile2llb does before dispatch: global ARG values (defaults expanded in order, build args override),
 * FROM's image and platform expanded with them and the predefined platform ARGs, stage names, `--from`
 * references, circular stage dependencies. Everything inside a stage stays raw (see types.ts).
 */
import { DockerfileError } from './errors.js';
import { toInstruction } from './instructions.js';
import { FlagValues, FLAG_SPECS } from './flags.js';
import { parsePlatform, platformArgs } from './platform.js';
import { expand } from './shell-lex.js';
import type { DockerfileTree, InstructionNode } from './syntax.js';
import type { ArgInstruction, Stage, StageBase, StageRef, Stages, ToStagesOptions } from './types.js';

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Builds global ARGs and typed stages; throws DockerfileError (`FILE:LINE:COL: what`). */
export function toStages(tree: DockerfileTree, options: ToStagesOptions = {}): Stages {
  const filename = tree.filename;
  const ctx = { filename, escape: tree.escape };
  const failAt = (n: { range: InstructionNode['range'] }, msg: string): never => {
    throw new DockerfileError(msg, n.range.start.line, n.range.start.column, filename);
  };
  const pargs = platformArgs(options.platform, options.buildPlatform);
  const buildArgs = options.buildArgs ?? {};
  const globalEnv = new Map<string, string>(Object.entries(pargs));
  const globalArgValues: Record<string, string> = { ...pargs };
  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const byName = new Map<string, number>();

  for (const node of tree.instructions) {
    if (node.keyword === 'FROM') {
      stages.push(fromStage(node, stages.length, globalEnv, byName, filename, tree.escape));
      const st = stages[stages.length - 1]!;
      if (st.name !== null) {
        if (byName.has(st.name)) failAt(node, `duplicate stage name "${st.name}"`);
        byName.set(st.name, st.index);
      }
      continue;
    }
    const ins = toInstruction(node, ctx);
    if (stages.length === 0) {
      if (ins.kind !== 'ARG') {
        throw new DockerfileError('no build stage in current context', node.range.start.line, node.range.start.column, filename);
      }
      globalArgs.push(ins);
      for (const a of ins.args) {
        const opts = { escape: tree.escape, line: node.range.start.line, column: node.range.start.column, filename };
        const name = expand(a.name, globalEnv, opts);
        let value: string | undefined = a.default === null ? undefined : expand(a.default, globalEnv, opts);
        if (Object.prototype.hasOwnProperty.call(buildArgs, name)) value = buildArgs[name];
        if (value === undefined) {
          globalEnv.delete(name);
          delete globalArgValues[name];
        } else {
          globalEnv.set(name, value);
          globalArgValues[name] = value;
        }
      }
      continue;
    }
    stages[stages.length - 1]!.instructions.push(ins);
  }
  if (stages.length === 0) {
    const last = tree.instructions[tree.instructions.length - 1];
    throw new DockerfileError('no build stage in Dockerfile: add a FROM instruction', last?.range.start.line ?? 0, 1, filename);
  }
  resolveRefs(stages, byName, filename);
  for (const st of stages) st.range = { start: st.range.start, end: st.instructions.at(-1)?.range.end ?? st.range.end };
  return { directives: tree.directives, escape: tree.escape, globalArgs, globalArgValues, platformArgs: pargs, stages };
}

function fromStage(node: InstructionNode, index: number, env: Map<string, string>, byName: Map<string, number>, filename: string,
  escape: string): Stage {
  const at = node.range.start;
  const fail = (msg: string): never => {
    throw new DockerfileError(msg, at.line, at.column, filename);
  };
  const flags = new FlagValues(node, FLAG_SPECS.FROM!, filename);
  const args = node.args.map((a) => a.value);
  let nameAsWritten: string | null = null;
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    nameAsWritten = args[2]!;
    if (!VALID_STAGE_NAME.test(nameAsWritten.toLowerCase())) {
      fail(`invalid name for build stage: "${nameAsWritten}", name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) fail('FROM requires either one or three arguments');
  const opts = { escape, line: at.line, column: at.column, filename };
  const imageRaw = args[0]!;
  const image = expand(imageRaw, env, opts);
  if (image === '') fail(`base name (${imageRaw}) should not be blank`);
  const platformRaw = flags.string('platform');
  let platform: string | null = null;
  if (platformRaw !== null) {
    platform = expand(platformRaw, env, opts);
    try {
      parsePlatform(platform);
    } catch {
      const f = flags.flag('platform')!;
      throw new DockerfileError(`failed to parse platform ${platform}`, f.range.start.line, f.range.start.column, filename);
    }
  }
  const lower = image.toLowerCase();
  let base: StageBase;
  if (byName.has(lower)) base = { kind: 'stage', index: byName.get(lower)! };
  else if (lower === 'scratch') base = { kind: 'scratch' };
  else base = { kind: 'image', ref: image };
  return {
    index, name: nameAsWritten?.toLowerCase() ?? null, nameAsWritten, imageRaw, image, base, platformRaw, platform,
    instructions: [], range: node.range, original: node.original,
  };
}

function resolveRef(raw: string, stages: Stage[], byName: Map<string, number>): StageRef {
  if (/^\d+$/.test(raw)) {
    const i = Number(raw);
    if (i >= stages.length) throw new Error(`invalid stage index ${raw}`);
    return { kind: 'stage', index: i, name: stages[i]!.name, raw };
  }
  const i = byName.get(raw.toLowerCase());
  if (i !== undefined) return { kind: 'stage', index: i, name: stages[i]!.name, raw };
  if (raw.includes('$')) throw new Error("'--from' doesn't support variable expansion, define alias stage instead");
  return { kind: 'image', ref: raw };
}

function resolveRefs(stages: Stage[], byName: Map<string, number>, filename: string): void {
  const deps: Set<number>[] = stages.map(() => new Set());
  for (const st of stages) {
    if (st.base.kind === 'stage') deps[st.index]!.add(st.base.index);
    for (const ins of st.instructions) {
      try {
        if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from?.kind === 'image') {
          ins.from = resolveRef(ins.from.ref, stages, byName);
          if (ins.from.kind === 'stage') deps[st.index]!.add(ins.from.index);
        }
        if (ins.kind === 'RUN') {
          for (const m of ins.mounts) {
            if (m.from?.kind === 'image') {
              m.from = resolveRef(m.from.ref, stages, byName);
              if (m.from.kind === 'stage') deps[st.index]!.add(m.from.index);
            }
          }
        }
      } catch (e) {
        throw new DockerfileError((e as Error).message, ins.range.start.line, ins.range.start.column, filename);
      }
    }
  }
  // Depth-first search for a cycle (BuildKit: "circular dependency detected on stage"), iterative because a
  // Dockerfile may chain tens of thousands of stages.
  const state = stages.map(() => 0);
  for (let root = 0; root < stages.length; root++) {
    if (state[root] !== 0) continue;
    const stack: Array<[number, Iterator<number>]> = [[root, deps[root]!.values()]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const nx = top[1].next();
      if (nx.done) {
        state[top[0]] = 2;
        stack.pop();
        continue;
      }
      const d = nx.value;
      if (state[d] === 1) {
        const st = stages[d]!;
        throw new DockerfileError(`circular dependency detected on stage: ${st.name ?? st.index}`, st.range.start.line, st.range.start.column, filename);
      }
      if (state[d] === 0) {
        state[d] = 1;
        stack.push([d, deps[d]!.values()]);
      }
    }
  }
}
