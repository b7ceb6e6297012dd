/** JSON with two-space indent and a final newline; bigints (mtimes) become decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

/**
 * A diff as JSON in pieces (one change per line), so a diff of two large images is written out without one
 * string of the whole document. Parses to the same object as `toJson(result)`.
 */
export function* diffJsonParts(d: { changes: unknown[] } & Record<string, unknown>): Generator<string> {
  const { changes, ...head } = d;
  const top = toJson(head).trimEnd();
  yield top.slice(0, -1).trimEnd() + (Object.keys(head).length ? ',' : '') + '\n  "changes": [';
  let first = true;
  for (const c of changes) {
    yield (first ? '\n    ' : ',\n    ') + JSON.stringify(c);
    first = false;
  }
  yield (first ? ']' : '\n  ]') + '\n}\n';
}
