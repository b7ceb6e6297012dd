import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { OciError } from './errors.js';

/**
 * The filesystem operations extraction needs that Node lacks or does only partly. @strata/snapshot passes
 * native implementations (mknod(2), lsetxattr(2), utimensat with nanoseconds); NodeExtractFs does what Node can.
 */
export interface ExtractFs {
  /** Creates a character/block device or FIFO at `path` (which does not exist). */
  mknod(path: string, type: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number): Promise<void>;
  /** Creates an overlay whiteout (a 0/0 character device) at `path`. */
  whiteout(path: string): Promise<void>;
  /** Marks directory `path` opaque for overlay (`trusted.overlay.opaque=y`). */
  setOpaque(path: string): Promise<void>;
  /** Sets one extended attribute without following a symlink; false when this implementation cannot. */
  setXattr(path: string, name: string, value: Buffer): Promise<boolean>;
  /** chown without following a symlink. */
  lchown(path: string, uid: number, gid: number): Promise<void>;
  /** Sets atime and mtime (to `mtimeNs`) without following a symlink. */
  lutimes(path: string, mtimeNs: bigint): Promise<void>;
}

function run(argv: string[], what: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new OciError(`${what}: ${(r.stderr || r.error?.message || 'failed').trim().split('\n')[0]}`);
}

/**
 * Pure-Node ExtractFs. Devices and FIFOs go through mknod(1) (Node has no mknod); xattrs are not settable
 * from Node, so setXattr reports false and the caller counts them as skipped; times keep microseconds.
 */
export class NodeExtractFs implements ExtractFs {
  async mknod(path: string, type: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number): Promise<void> {
    const m = (mode & 0o7777).toString(8);
    if (type === 'fifo') run(['mknod', '-m', m, path, 'p'], `mknod ${path}`);
    else run(['mknod', '-m', m, path, type === 'char' ? 'c' : 'b', String(major), String(minor)], `mknod ${path}`);
  }
  async whiteout(path: string): Promise<void> {
    await this.mknod(path, 'char', 0, 0, 0);
  }
  async setOpaque(path: string): Promise<void> {
    if (!(await this.setXattr(path, 'trusted.overlay.opaque', Buffer.from('y')))) {
      throw new OciError(`${path}: cannot mark opaque without xattr support (pass a native ExtractFs)`);
    }
  }
  async setXattr(_path: string, _name: string, _value: Buffer): Promise<boolean> {
    return false;
  }
  async lchown(path: string, uid: number, gid: number): Promise<void> {
    await fsp.lchown(path, uid, gid);
  }
  async lutimes(path: string, mtimeNs: bigint): Promise<void> {
    const t = Number(mtimeNs / 1000n) / 1e6;
    await fsp.lutimes(path, t, t);
  }
}
