import type { DiffResult } from '../diff.js';
import { alignmentLines, attributionLabel, changeDetail, groupByAttribution, mark, sideLabel, summaryLine } from './diff-lines.js';

/** `strata diff` for a terminal: the layer alignment, then changes grouped by the step that made them. */
export function diffText(d: DiffResult): string {
  const out: string[] = [`A: ${sideLabel(d.a)}`, `B: ${sideLabel(d.b)}`, ''];
  if (d.alignment.length > 0) out.push('Layers (lined up by diff ID and history):', ...alignmentLines(d.alignment).map((l) => '  ' + l), '');
  out.push(`Changes: ${summaryLine(d)}`);
  for (const group of groupByAttribution(d.changes)) {
    out.push('', attributionLabel(group[0]!.by, d));
    for (const c of group) out.push(`  ${mark(c)} ${c.path}  ${changeDetail(c)}`);
  }
  return out.join('\n') + '\n';
}
