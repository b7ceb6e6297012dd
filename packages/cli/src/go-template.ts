import { UsageError } from './command.js';

/**
 * The part of Go's text/template that `docker images --format` users write: `{{.Field}}`, `{{json .}}` and
 * `{{json .Field}}`, the escapes `\t` and `\n` as docker turns them into tabs and newlines, and a leading
 * `table` that prints a header and lines the columns up (as docker's tabwriter: 3 spaces apart, 10 wide at least).
 * Written here because the rest of Go's template language (pipelines, range, if) is not what these commands
 * are scripted with; an action outside this set is a usage error naming it.
 */
export function renderTemplate(format: string, rows: Array<Record<string, unknown>>, headers: Record<string, string>): string {
  const table = /^table(\s|$)/.test(format);
  const body = (table ? format.replace(/^table\s*/, '') : format).replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const actions = [...body.matchAll(/\{\{\s*(.*?)\s*\}\}/g)];
  const render = (row: Record<string, unknown> | undefined) => body.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    const m = /^(json\s+)?\.([A-Za-z][A-Za-z0-9]*)?$/.exec(action);
    if (!m) throw new UsageError(`--format: unsupported template action {{${action}}} (fields are {{.Name}}, {{json .}})`);
    const [, json, field] = m;
    if (field !== undefined && !(field in headers)) throw new UsageError(`--format: no field "${field}" (have ${Object.keys(headers).join(', ')})`);
    if (row === undefined) return field === undefined ? '' : headers[field]!;
    const v = field === undefined ? row : row[field];
    return json ? JSON.stringify(v) : String(v ?? '');
  });
  if (actions.length === 0 && !table) return rows.map(() => `${body}\n`).join('');
  const lines = [...(table ? [render(undefined)] : []), ...rows.map(render)];
  if (!table) return lines.map((l) => `${l}\n`).join('');
  // Tab-separated cells lined up: each column as wide as its widest cell plus three spaces, ten at least (the last
  // not padded), as docker's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0).
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const c of cells) c.forEach((x, i) => (widths[i] = Math.max(widths[i] ?? 0, x.length)));
  return cells.map((c) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(Math.max(widths[i]! + 3, 10)))).join('').trimEnd() + '\n').join('');
}
