/**
 * Runs `fn` over `items` with at most `limit` at once; the first failure rejects (after the running ones
 * settle, so no stream is left half-consumed behind the caller's back). p-queue is not among this package's
 * allowed imports, and this is all that is needed.
 */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { e: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try { await fn(items[i]!, i); } catch (e) { failed ??= { e }; }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.e;
}
