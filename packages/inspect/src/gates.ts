import type { Analysis } from './analyze.js';
import { humanBytes, percent } from './format.js';

/** CI thresholds of `strata analyze`; each is checked only when set. */
export interface Gates {
  /** Fail when strata's wasted bytes exceed this. */
  maxWastedBytes?: number;
  /** Fail when wasted bytes ÷ stored bytes exceeds this ratio (0..1). */
  maxWastedPercent?: number;
  /** Fail when dive's efficiency score is below this ratio (0..1). */
  minEfficiency?: number;
}

/** One line per failed threshold, saying the measured value and the limit; empty when all pass. */
export function checkGates(a: Analysis, g: Gates): string[] {
  const out: string[] = [];
  const w = a.waste;
  if (g.maxWastedBytes !== undefined && w.wastedBytes > g.maxWastedBytes) {
    out.push(`wasted bytes ${w.wastedBytes} (${humanBytes(w.wastedBytes)}) exceed --max-wasted-bytes ${g.maxWastedBytes}`);
  }
  if (g.maxWastedPercent !== undefined && w.wastedPercent > g.maxWastedPercent) {
    out.push(`wasted ${percent(w.wastedPercent)} of stored bytes exceeds --max-wasted-percent ${percent(g.maxWastedPercent)}`);
  }
  if (g.minEfficiency !== undefined && a.efficiency.score < g.minEfficiency) {
    out.push(`efficiency ${percent(a.efficiency.score)} is below --min-efficiency ${percent(g.minEfficiency)}`);
  }
  return out;
}

/**
 * Parses a threshold given as a ratio (`0.1`), a percentage (`10%`) or, for byte limits, a size with a unit
 * (`20MB`, `1.5GiB`); returns undefined for text that is none of these.
 */
export function parseRatio(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  const r = m[2] ? v / 100 : v > 1 ? v / 100 : v;
  return r >= 0 && r <= 1 ? r : undefined;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Parses a byte count such as `1048576`, `20MB`, `1.5GiB`; undefined when malformed. */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}
