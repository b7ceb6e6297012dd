/** Bytes in the units `docker images` and dive use (powers of 1000), e.g. `12.3 MB`. */
export function humanBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[u]}`;
}

/** A ratio as a percentage with one decimal, e.g. `12.5%`. */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** Column alignment of a text table. */
export type Align = 'left' | 'right';

/** Lays rows out in columns separated by two spaces; the last column is never padded. */
export function table(header: string[], rows: string[][], align: Align[] = []): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => {
    if (i === r.length - 1) return align[i] === 'right' ? c.padStart(widths[i]!) : c;
    return align[i] === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
  }).join('  ').trimEnd();
  return all.map(line).join('\n') + '\n';
}

/** First `n` characters of a long text on one line, with an ellipsis when cut. */
export function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= n ? one : one.slice(0, n - 1) + '…';
}

/** A digest shortened for tables: `sha256:` dropped, first 12 hex digits. */
export function shortDigest(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}
