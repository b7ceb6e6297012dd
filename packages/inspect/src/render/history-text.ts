import { clip, humanBytes, shortDigest, table } from '../format.js';
import type { HistoryView } from '../history.js';

/** `strata history` as a table: newest entry first, like `docker history`. */
export function historyText(rows: HistoryView[], width = 60): string {
  const body = [...rows].reverse().map((r) => [
    r.index === undefined ? '-' : String(r.index),
    r.created ?? '',
    clip(r.createdBy || (r.index === undefined ? '(no history entry)' : ''), width),
    r.layer ? humanBytes(r.layer.size) : '0 B',
    r.layer ? `${r.layer.index}:${shortDigest(r.layer.digest)}` : r.emptyLayer ? '(empty layer)' : '(no layer)',
  ]);
  return table(['#', 'CREATED', 'CREATED BY', 'SIZE', 'LAYER'], body, ['right', 'left', 'left', 'right', 'left']);
}
