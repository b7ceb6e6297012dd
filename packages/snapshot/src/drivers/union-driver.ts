import type { DriverName, Release } from '../types.js';

/** The writable part of a union mount. */
export interface UpperSpec {
  upper: string;
  work: string;
  /** Skip fsync on copy-up (overlay's `volatile`); the caller syncs once at commit. */
  volatile: boolean;
}

/** A driver that mounts a union of read-only lower dirs (top first) and an optional writable upper. */
export interface UnionDriver {
  readonly name: Exclude<DriverName, 'copy'>;
  /** Mounts the union at target; with no upper, at least two lowers (pad with an empty dir). */
  mountUnion(target: string, lowers: string[], upper?: UpperSpec, logFile?: string): Promise<Release>;
}

/** Makes a release function idempotent. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
