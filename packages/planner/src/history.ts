import type { HistoryEntry } from '@strata/oci';

/** Comment BuildKit's Dockerfile frontend puts on every history entry it writes. */
export const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

/** Go's `%q` of a string slice (`["a" "b"]`), the form BuildKit writes for CMD, ENTRYPOINT, SHELL, VOLUME. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** A history entry for an instruction; `layer` says whether it writes a filesystem layer. */
export function historyEntry(createdBy: string, layer: boolean): HistoryEntry {
  const h: HistoryEntry = { created_by: layer ? `${createdBy} # buildkit` : createdBy, comment: HISTORY_COMMENT };
  if (!layer) h.empty_layer = true;
  return h;
}
