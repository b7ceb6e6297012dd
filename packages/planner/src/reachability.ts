import type { Instruction, Stages } from '@strata/dockerfile';
import { PlannerError } from './errors.js';

/** The index of the `--target` stage (name, case-insensitive, or number); default the last stage. */
export function findTarget(stages: Stages, target: string | undefined, filename: string): number {
  if (stages.stages.length === 0) throw new PlannerError('no build stage in the Dockerfile', 0, filename);
  if (target === undefined || target === '') return stages.stages.length - 1;
  const byName = stages.stages.find((s) => s.name === target.toLowerCase());
  if (byName !== undefined) return byName.index;
  if (/^\d+$/.test(target) && Number(target) < stages.stages.length) return Number(target);
  throw new PlannerError(`target stage "${target}" could not be found`, 0, filename);
}

/** Stage indexes an instruction reads from (COPY --from, RUN --mount from=). */
function stageRefs(ins: Instruction): number[] {
  const out: number[] = [];
  if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from?.kind === 'stage') out.push(ins.from.index);
  if (ins.kind === 'RUN') for (const m of ins.mounts) if (m.from?.kind === 'stage') out.push(m.from.index);
  return out;
}

/** Every stage the target depends on (itself included), dependencies first; a cycle is an error. */
export function reachableStages(stages: Stages, target: number, filename: string): number[] {
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number, line: number): void => {
    const s = state.get(i);
    if (s === 'done') return;
    if (s === 'visiting') throw new PlannerError(`circular dependency between stages at stage ${i}`, line, filename);
    state.set(i, 'visiting');
    const stage = stages.stages[i];
    if (stage === undefined) throw new PlannerError(`stage ${i} does not exist`, line, filename);
    if (stage.base.kind === 'stage') visit(stage.base.index, stage.range.start.line);
    for (const ins of stage.instructions) for (const r of stageRefs(ins)) visit(r, ins.range.start.line);
    state.set(i, 'done');
    order.push(i);
  };
  visit(target, 0);
  return order;
}
