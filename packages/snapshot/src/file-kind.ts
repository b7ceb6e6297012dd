import type { LayerEntryType } from '@strata/oci';
import type { EntryStat } from './dir-stat.js';

/** The LayerEntry type of a filesystem object (a 0/0 char device is still 'char' here; callers decide). */
export function kindOf(st: EntryStat): LayerEntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'file';
}

/** The overlay whiteout: a character device with device number 0/0. */
export function isWhiteoutStat(st: EntryStat): boolean {
  return st.isCharacterDevice() && st.rdev === 0n;
}

/** Linux major/minor of a dev_t (glibc's encoding). */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** The order the OCI tar writer requires (@strata/oci owns it): component by component, parents first. */
export { comparePaths } from '@strata/oci';
