import type { Analysis } from '../analyze.js';
import { clip, humanBytes, percent, shortDigest, table } from '../format.js';

/** `strata analyze` for a terminal: layers, largest directories, waste, duplicates, dive's efficiency. */
export function analyzeText(a: Analysis, top = 20): string {
  const w = a.waste, e = a.efficiency;
  const out: string[] = [
    `Image: ${a.ref} (${shortDigest(a.digest)})`,
    `Stored: ${humanBytes(a.totalBytes)} in ${a.layers.length} layers; visible: ${humanBytes(a.visibleBytes)} in ${a.visibleFiles} files`,
    '',
    'Layers:',
    table(['#', 'SIZE', 'STORED', 'ENTRIES', '+', '~', '-', 'HIDDEN LATER', 'CREATED BY'],
      a.layers.map((l) => [String(l.index), humanBytes(l.size), humanBytes(l.storedBytes), String(l.entries), String(l.added),
        String(l.changed), String(l.deleted), humanBytes(l.hiddenLater), clip(l.createdBy || shortDigest(l.digest), 60)]),
      ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']).trimEnd(),
    '',
    `Largest directories (visible bytes):`,
    table(['SIZE', 'FILES', 'PATH'], a.dirs.slice(0, top).map((d) => [humanBytes(d.bytes), String(d.files), d.path]), ['right', 'right']).trimEnd(),
    '',
    `Waste: ${humanBytes(w.wastedBytes)} (${percent(w.wastedPercent)} of stored bytes)`,
    `  overwritten by later layers: ${humanBytes(w.overwrittenBytes)}`,
    `  deleted by later layers:     ${humanBytes(w.deletedBytes)}`,
    `  duplicate content (by hash): ${humanBytes(w.duplicateBytes)} in ${w.duplicateGroupCount} group${w.duplicateGroupCount === 1 ? '' : 's'}`,
  ];
  if (w.itemCount > 0) {
    out.push('', `Hidden files (${w.itemCount}${w.itemCount > top ? `, largest ${top}` : ''}):`,
      table(['SIZE', 'LAYER', 'BY', 'HOW', 'PATH'], w.items.slice(0, top).map((i) => [humanBytes(i.bytes), String(i.layer), String(i.byLayer), i.reason, i.path]),
        ['right', 'right', 'right']).trimEnd());
  }
  if (w.duplicates.length > 0) {
    out.push('', `Duplicate content (${w.duplicateGroupCount} group${w.duplicateGroupCount === 1 ? '' : 's'}${w.duplicateGroupCount > top ? `, largest ${top}` : ''}):`);
    for (const g of w.duplicates.slice(0, top)) out.push(`  ${humanBytes(g.wastedBytes)} wasted: ${g.paths.length} × ${humanBytes(g.size)} ${g.hash.slice(7, 19)}: ${g.paths.join(' ')}`);
  }
  out.push('', `Efficiency (dive's score): ${percent(e.score)}; dive's wasted bytes ${humanBytes(e.wastedBytes)} (${percent(e.wastedUserPercent)} of user bytes ${humanBytes(e.userBytes)})`);
  if (e.inefficiencies.length > 0) {
    out.push(table(['COUNT', 'TOTAL SPACE', 'PATH'], e.inefficiencies.slice(0, top).map((i) => [String(i.count), humanBytes(i.bytes), i.path]), ['right', 'right']).trimEnd());
  }
  return out.join('\n') + '\n';
}
