import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { native } from '@strata/native-overlay';

/** Everything POSIX lets a reader see about one object, as comparable text (dir mtimes excluded: they move). */
export type TreeDesc = Map<string, string>;

function isPrivate(name: string): boolean {
  return ['trusted.overlay.', 'user.overlay.', 'user.fuseoverlayfs.'].some((p) => name.startsWith(p));
}

/**
 * Describes a mounted or plain tree: type, mode, owner, size, content hash, link target, device number,
 * xattrs (hex), mtime in whole seconds for non-dirs (the tar format keeps seconds) and hardlink groups.
 */
export function describeTree(root: string): TreeDesc {
  const out: TreeDesc = new Map();
  const inodes = new Map<string, string[]>();
  const walk = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(abs, { bigint: true });
      const parts = [`mode=${(st.mode & 0o7777n).toString(8)}`, `owner=${st.uid}:${st.gid}`];
      if (st.isDirectory()) parts.unshift('dir');
      else if (st.isFile()) parts.unshift('file', `size=${st.size}`, `sha=${createHash('sha256').update(fs.readFileSync(abs)).digest('hex').slice(0, 16)}`);
      else if (st.isSymbolicLink()) parts.unshift('symlink', `to=${fs.readlinkSync(abs)}`);
      else if (st.isCharacterDevice() || st.isBlockDevice()) parts.unshift(st.isCharacterDevice() ? 'char' : 'block', `rdev=${st.rdev}`);
      else if (st.isFIFO()) parts.unshift('fifo');
      if (!st.isDirectory()) parts.push(`mtime=${st.mtimeNs / 1_000_000_000n}`);
      const names = native().listXattr(abs).filter((n) => !isPrivate(n)).sort();
      for (const n of names) parts.push(`x:${n}=${native().getXattr(abs, n)?.toString('hex')}`);
      out.set(r, parts.join(' '));
      if (!st.isDirectory() && st.nlink > 1n) {
        const id = `${st.dev}:${st.ino}`;
        inodes.set(id, [...(inodes.get(id) ?? []), r]);
      }
      if (st.isDirectory()) walk(abs, r);
    }
  };
  walk(root, '');
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    for (const p of group) out.set(p, `${out.get(p)} links=${group.join(',')}`);
  }
  return out;
}

/** Lines that differ between two descriptions, for assertion messages. */
export function treeDifferences(want: TreeDesc, got: TreeDesc): string[] {
  const diffs: string[] = [];
  for (const [p, d] of want) if (got.get(p) !== d) diffs.push(`${p}: want ${d}, got ${got.get(p) ?? 'missing'}`);
  for (const [p, d] of got) if (!want.has(p)) diffs.push(`${p}: unexpected ${d}`);
  return diffs;
}
