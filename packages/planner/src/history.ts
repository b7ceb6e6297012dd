import type { ContainerConfig, HistoryEntry } from '@strata/oci';

/** Comment BuildKit's Dockerfile frontend puts on every history entry it writes. */
export const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

/** Go's `%q` of a string slice (`["a" "b"]`), the form BuildKit writes for CMD, ENTRYPOINT, SHELL, VOLUME. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/**
 * A history entry for an instruction; `layer` says whether it writes a filesystem layer. BuildKit marks the
 * layers of RUN, COPY and ADD with ` # buildkit` but not WORKDIR's (`marked` false), as docker build shows.
 */
export function historyEntry(createdBy: string, layer: boolean, marked = layer): HistoryEntry {
  const h: HistoryEntry = { created_by: marked ? `${createdBy} # buildkit` : createdBy, comment: HISTORY_COMMENT };
  if (!layer) h.empty_layer = true;
  return h;
}

/** Go's `%v` of a string slice (`[/data /logs]`): VOLUME and SHELL history. */
export function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

/** Go's `%v` of a set of ports (`map[80/tcp:{} 8080/udp:{}]`, keys sorted as fmt sorts them): EXPOSE. */
export function goMap(keys: readonly string[]): string {
  return `map[${[...new Set(keys)].sort().map((k) => `${k}:{}`).join(' ')}]`;
}

/** Go's time.Duration String() for nanoseconds (`0s`, `1.5s`, `1m30s`, `300ms`). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trimZeros(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trimZeros(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3.6e12);
    n -= h * 3.6e12;
    const m = Math.floor(n / 6e10);
    n -= m * 6e10;
    const sec = `${trimZeros(n / 1e9)}s`;
    out = h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec;
  }
  return neg ? `-${out}` : out;
}

function trimZeros(v: number): string {
  return v.toFixed(9).replace(/\.?0+$/, '');
}

/** Go's `%q` of a rune (the Retries field under `%q`): `'\x03'`, `'\n'`, `'!'`. */
function goQuoteRune(n: number): string {
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (named[n] !== undefined) return `'${named[n]}'`;
  if (n >= 0x20 && n < 0x7f) return `'${String.fromCharCode(n)}'`;
  return n < 0x80 ? `'\\x${n.toString(16).padStart(2, '0')}'` : `'${String.fromCodePoint(n)}'`;
}

/** Go's `%q` of BuildKit's *HealthcheckConfig: HEALTHCHECK history (`&{["CMD" "x"] "5s" "0s" "0s" "0s" '\x02'}`). */
export function goHealthcheck(hc: NonNullable<ContainerConfig['Healthcheck']>): string {
  const d = (v: number | undefined) => `"${goDuration(v ?? 0)}"`;
  return `&{${goQuoteList(hc.Test ?? [])} ${d(hc.Interval)} ${d(hc.Timeout)} ${d(hc.StartPeriod)} ${d(hc.StartInterval)} ${goQuoteRune(hc.Retries ?? 0)}}`;
}
