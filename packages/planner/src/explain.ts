import { canonicalJson } from './canonical.js';
import type { Op } from './graph.js';
import type { PreImage, SourceDigest } from './keys.js';

/** A stored pre-image with the key it produced. */
export interface StoredPreImage {
  key: string;
  preImage: PreImage;
}

/** How many differences one explanation line names before it says "and N more". */
const MAX_SHOWN = 3;

const show = (v: string | undefined): string => (v === undefined ? '(unset)' : v === '' ? '""' : v.length > 40 ? `${v.slice(0, 37)}...` : v);

function diffVars(label: string, now: Record<string, string>, before: Record<string, string>): string[] {
  const out: string[] = [];
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(now)])].sort()) {
    if (now[name] !== before[name]) out.push(`${label} ${name} ${show(before[name])} → ${show(now[name])}`);
  }
  return out;
}

function diffFiles(now: SourceDigest, before: SourceDigest | undefined): string[] {
  if (before === undefined) return ['new source'];
  if (now.digest === before.digest) return [];
  const out: string[] = [];
  for (const p of [...new Set([...Object.keys(before.files), ...Object.keys(now.files)])].sort()) {
    const a = before.files[p];
    const b = now.files[p];
    if (a === b) continue;
    if (a === undefined) out.push(`${p} added`);
    else if (b === undefined) out.push(`${p} removed`);
    else if (a.split(':')[0] !== b.split(':')[0]) out.push(`${p} content changed`);
    else out.push(`${p} mode/owner changed`);
  }
  return out.length > 0 ? out : ['source checksum changed'];
}

function diffOp(op: Op, now: Record<string, unknown>, before: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const f of [...new Set([...Object.keys(before), ...Object.keys(now)])].sort()) {
    const a = canonicalJson(before[f]);
    const b = canonicalJson(now[f]);
    if (a === b) continue;
    if (op.kind === 'source' && f === 'digest') out.push(`image ${String(before[f]).slice(0, 19)}… → ${String(now[f]).slice(0, 19)}…`);
    else if (f === 'argv') out.push(`command ${show(lastWord(before[f]))} → ${show(lastWord(now[f]))}`);
    else out.push(`${f} changed: ${show(a)} → ${show(b)}`);
  }
  return out;
}

function lastWord(v: unknown): string {
  return Array.isArray(v) ? String(v.at(-1) ?? '') : String(v);
}

/** Every difference between the current pre-image and an earlier one, most specific first. */
export function differences(op: Op, now: PreImage, before: PreImage): string[] {
  if (now.v !== before.v) return [`cache key scheme v${before.v} → v${now.v}`];
  const out = [
    ...diffVars('ARG', now.args, before.args),
    ...diffVars('ENV', now.env, before.env),
    ...diffOp(op, now.op, before.op),
  ];
  for (const role of [...new Set([...Object.keys(before.sources), ...Object.keys(now.sources)])].sort()) {
    const cur = now.sources[role];
    out.push(...(cur === undefined ? [`${role} no longer read`] : diffFiles(cur, before.sources[role])));
  }
  if (canonicalJson(now.deps) !== canonicalJson(before.deps)) {
    out.push(op.kind === 'exec' ? 'a mounted stage or image changed' : 'the --from stage or image changed');
  }
  return out;
}

/** Label of an op in explanations: its instruction keyword and line (`RUN line 7`). */
export function opLabel(op: Op): string {
  const word = op.text.trim().split(/\s+/)[0]?.toUpperCase() ?? op.kind;
  return op.line > 0 ? `${word} line ${op.line}` : word;
}

/**
 * One human line saying why an op missed: the smallest difference to the nearest stored pre-image of the
 * same step (`RUN line 7: ARG VERSION 1.2 → 1.3`, `COPY line 4: src/app.js content changed`). When the only
 * difference is the parent, it names the earlier step that changed (`changedParent`).
 */
export function explainMiss(op: Op, now: PreImage, candidates: readonly StoredPreImage[], changedParent?: Op): string {
  const label = opLabel(op);
  if (candidates.length === 0) return `${label}: not built before`;
  let best: string[] | undefined;
  let bestParentSame = false;
  for (const c of candidates) {
    const d = differences(op, now, c.preImage);
    const parentSame = c.preImage.parent === now.parent;
    const better = best === undefined || d.length < best.length || (d.length === best.length && parentSame && !bestParentSame);
    if (better) {
      best = d;
      bestParentSame = parentSame;
    }
  }
  const diffs = best!;
  if (diffs.length === 0) {
    if (!bestParentSame) return `${label}: follows a changed step${changedParent !== undefined ? ` (${opLabel(changedParent)})` : ''}`;
    return `${label}: cache record missing (pruned?)`;
  }
  const shown = diffs.slice(0, MAX_SHOWN).join('; ');
  return `${label}: ${shown}${diffs.length > MAX_SHOWN ? `; and ${diffs.length - MAX_SHOWN} more` : ''}`;
}
