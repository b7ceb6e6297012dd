import { fsType, type FileFacts } from './facts.js';

/** One way two versions of a path can differ. */
export type Aspect = 'type' | 'content' | 'mode' | 'owner' | 'xattrs' | 'link' | 'device' | 'mtime';

/** Every aspect, in the order reports list them. */
export const ASPECTS: readonly Aspect[] = ['type', 'content', 'mode', 'owner', 'xattrs', 'link', 'device', 'mtime'];

/**
 * The aspects in which `b` differs from `a`. A hardlink counts as the regular file it is in a mounted
 * filesystem (its content is its target's); `attrs` false skips mode/owner/mtime, for directories no layer
 * described.
 */
export function compareFacts(a: FileFacts, b: FileFacts, attrs = true): Aspect[] {
  const out: Aspect[] = [];
  if (fsType(a) !== fsType(b)) return ['type'];
  const t = fsType(a);
  if (t === 'file') {
    const ha = a.hash, hb = b.hash;
    const sa = a.contentSize ?? a.size, sb = b.contentSize ?? b.size;
    if (sa !== sb || (ha !== undefined && hb !== undefined && ha !== hb) || (ha === undefined) !== (hb === undefined)) out.push('content');
  }
  if (attrs && (a.mode & 0o7777) !== (b.mode & 0o7777)) out.push('mode');
  if (attrs && (a.uid !== b.uid || a.gid !== b.gid)) out.push('owner');
  if (!sameXattrs(a.xattrs, b.xattrs)) out.push('xattrs');
  if ((a.type === 'hardlink' || b.type === 'hardlink' || t === 'symlink') && (a.type !== b.type || a.linkname !== b.linkname)) out.push('link');
  if ((t === 'char' || t === 'block') && (a.devmajor !== b.devmajor || a.devminor !== b.devminor)) out.push('device');
  if (attrs && a.mtimeNs !== b.mtimeNs) out.push('mtime');
  return out;
}

function sameXattrs(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {}), kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  return ka.every((k) => b![k] === a![k]);
}

/** Names of xattrs added (+), removed (-) or changed (~) from a to b, e.g. `+user.x ~security.capability`. */
export function xattrDelta(a: Record<string, string> | undefined, b: Record<string, string> | undefined): string {
  const out: string[] = [];
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  for (const k of keys) {
    const va = a?.[k], vb = b?.[k];
    if (va === undefined) out.push('+' + k);
    else if (vb === undefined) out.push('-' + k);
    else if (va !== vb) out.push('~' + k);
  }
  return out.join(' ');
}
