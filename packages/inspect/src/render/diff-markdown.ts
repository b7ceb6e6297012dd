import type { DiffResult } from '../diff.js';
import { alignmentLines, attributionLabel, changeDetail, groupByAttribution, mark, sideLabel, summaryLine } from './diff-lines.js';

/** Escapes text for a Markdown table cell or inline code span. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\n/g, ' ');
}

/** `strata diff --markdown`: a pull-request comment, one table per step, the alignment folded away. */
export function diffMarkdown(d: DiffResult): string {
  const out: string[] = [
    `### Image diff`, '',
    `**A:** \`${cell(sideLabel(d.a))}\`  `,
    `**B:** \`${cell(sideLabel(d.b))}\``, '',
    `**${summaryLine(d)}**`,
  ];
  if (d.alignment.length > 0) {
    out.push('', '<details><summary>Layers lined up by diff ID and history</summary>', '', '```', ...alignmentLines(d.alignment), '```', '', '</details>');
  }
  for (const group of groupByAttribution(d.changes)) {
    out.push('', `#### ${cell(attributionLabel(group[0]!.by, d))}`, '', '| | path | change |', '|---|---|---|');
    for (const c of group) out.push(`| ${mark(c) === '~' ? '~' : mark(c)} | \`${cell(c.path)}\` | ${cell(changeDetail(c))} |`);
  }
  return out.join('\n') + '\n';
}
