import { xattrDelta } from '../compare.js';
import type { AlignedLayer } from '../align.js';
import type { Attribution, Change, DiffResult, FileSummary } from '../diff.js';
import { clip, humanBytes, shortDigest } from '../format.js';

/** `0755` style. */
export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function what(s: FileSummary): string {
  if (s.type === 'file') return `file ${humanBytes(s.size)}`;
  if (s.type === 'hardlink') return `hardlink to /${s.linkname ?? ''} ${humanBytes(s.size)}`;
  if (s.type === 'symlink') return `symlink -> ${s.linkname ?? ''}`;
  return s.type;
}

/** One change described in a line's tail: what was added or removed, or each aspect's before → after. */
export function changeDetail(c: Change): string {
  if (c.kind === 'added') return what(c.b!);
  if (c.kind === 'removed') return what(c.a!);
  const a = c.a!, b = c.b!;
  return c.aspects.map((x) => {
    switch (x) {
      case 'type': return `type ${what(a)} → ${what(b)}`;
      case 'content': return `content ${humanBytes(a.size)} ${(a.sha256 ?? '?').slice(0, 12)} → ${humanBytes(b.size)} ${(b.sha256 ?? '?').slice(0, 12)}`;
      case 'mode': return `mode ${octal(a.mode)} → ${octal(b.mode)}`;
      case 'owner': return `owner ${a.uid}:${a.gid} → ${b.uid}:${b.gid}`;
      case 'xattrs': return `xattrs ${xattrDelta(a.xattrs, b.xattrs)}`;
      case 'link': return `link ${a.linkname ?? '(none)'} → ${b.linkname ?? '(none)'}`;
      case 'device': return 'device numbers';
      case 'mtime': return `mtime ${a.mtime} → ${b.mtime}`;
    }
  }).join(', ');
}

/** The sign of a change: + added, - removed, ~ changed. */
export function mark(c: Change): string {
  return c.kind === 'added' ? '+' : c.kind === 'removed' ? '-' : '~';
}

/** Heading of the group of changes one history entry made. */
export function attributionLabel(by: Attribution | undefined, d: DiffResult): string {
  if (!by) return 'unattributed';
  const who = by.side === 'a' ? `A (${d.a.ref})` : `B (${d.b.ref})`;
  const step = by.createdBy ? clip(by.createdBy, 100) : '(no history entry)';
  const note = by.side === 'a' ? ' — layer not in B' : '';
  return `${who} layer ${by.layer}${by.history !== undefined ? `, history #${by.history}` : ''}: ${step}${note}`;
}

/** Changes grouped by the history entry that made them, groups in layer order (B's first, then A's). */
export function groupByAttribution(changes: Change[]): Change[][] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const k = c.by ? `${c.by.side === 'b' ? 0 : 1}:${String(c.by.layer).padStart(6, '0')}` : '2';
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(c);
  }
  return [...groups.keys()].sort().map((k) => groups.get(k)!);
}

const ALIGN_MARK: Record<AlignedLayer['status'], string> = { same: '=', rebuilt: '~', 'only-a': '-', 'only-b': '+' };
const ALIGN_WORD: Record<AlignedLayer['status'], string> = { same: 'same', rebuilt: 'rebuilt', 'only-a': 'only in A', 'only-b': 'only in B' };

/** One line per aligned layer pair: `= 0 ↔ 0  same       FROM …`. */
export function alignmentLines(al: AlignedLayer[]): string[] {
  return al.map((r) => `${ALIGN_MARK[r.status]} ${(r.a === undefined ? '-' : String(r.a)).padStart(3)} ↔ ${(r.b === undefined ? '-' : String(r.b)).padEnd(3)} ${ALIGN_WORD[r.status].padEnd(9)}  ${clip(r.createdBy || '(no history entry)', 90)}`);
}

/** The summary sentence of a diff. */
export function summaryLine(d: DiffResult): string {
  const s = d.summary;
  const hidden = s.mtimeOnlyHidden ? ` (${s.mtimeOnlyHidden} mtime-only change${s.mtimeOnlyHidden === 1 ? '' : 's'} hidden; --mtime shows them)` : '';
  return `${s.added} added, ${s.removed} removed, ${s.changed} changed${hidden}`;
}

/** `REF (digest)` or `REF layer N (digest)`. */
export function sideLabel(s: DiffResult['a']): string {
  return `${s.ref}${s.layer !== undefined ? ` layer ${s.layer}` : ''} (${shortDigest(s.digest)})`;
}
