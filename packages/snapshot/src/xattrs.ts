import { sys } from './sys.js';
import { errCode } from './errors.js';

/** Names the union filesystems keep for themselves; they never enter a layer tar. */
const PRIVATE_PREFIXES = ['trusted.overlay.', 'user.overlay.', 'user.fuseoverlayfs.', 'user.containers.override_'];

/** The opaque-directory markers DESIGN §6 names (trusted when privileged, user.* when not). */
export const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/** The marker file that makes a directory opaque in the `.wh.` format (fuse-overlayfs without mknod). */
export const OPAQUE_FILE = '.wh..wh..opq';
/** Prefix of a whiteout file in the `.wh.` format. */
export const WHITEOUT_PREFIX = '.wh.';

/** True for xattr names that belong to a union filesystem rather than the file. */
export function isPrivateXattr(name: string): boolean {
  return PRIVATE_PREFIXES.some((p) => name.startsWith(p));
}

/** A path's xattrs, private ones filtered out; binary values kept exactly. Filesystems without xattrs give {}. */
export function readXattrs(p: string): Record<string, Buffer> {
  const s = sys();
  let names: string[];
  try {
    names = s.listXattr(p);
  } catch (e) {
    if (errCode(e) === 'ENOTSUP' || errCode(e) === 'EOPNOTSUPP') return {};
    throw e;
  }
  const out: Record<string, Buffer> = {};
  for (const n of names.filter((x) => !isPrivateXattr(x)).sort()) {
    const v = s.getXattr(p, n);
    if (v !== null) out[n] = v;
  }
  return out;
}

/** Whether a directory is marked opaque by xattr ('y', as the kernel writes it). */
export function hasOpaqueXattr(dir: string): boolean {
  const s = sys();
  for (const n of OPAQUE_XATTRS) {
    try {
      const v = s.getXattr(dir, n);
      if (v !== null && v.toString() === 'y') return true;
    } catch (e) {
      if (errCode(e) !== 'ENOTSUP' && errCode(e) !== 'EOPNOTSUPP' && errCode(e) !== 'EPERM') throw e;
    }
  }
  return false;
}

/** Two xattr maps hold the same names and byte-identical values. */
export function sameXattrs(a: Record<string, Buffer>, b: Record<string, Buffer>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] !== undefined && a[k]!.equals(b[k]!));
}
