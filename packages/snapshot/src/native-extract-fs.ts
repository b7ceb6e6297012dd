import type { ExtractFs } from '@strata/oci';
import { sys } from './sys.js';
import { OPAQUE_XATTRS } from './xattrs.js';

const TYPE_BITS = { char: 0o020000, block: 0o060000, fifo: 0o010000 } as const;

/**
 * @strata/oci's ExtractFs over native-overlay's binding: real mknod, whiteouts as 0/0 devices, the opaque
 * xattr, binary xattrs, lchown and nanosecond times — what the applier needs to write overlay layer dirs.
 */
export class NativeExtractFs implements ExtractFs {
  async mknod(path: string, type: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number): Promise<void> {
    sys().mknod(path, TYPE_BITS[type] | (mode & 0o7777), major, minor);
  }
  async whiteout(path: string): Promise<void> {
    sys().mkWhiteout(path);
  }
  async setOpaque(path: string): Promise<void> {
    sys().setXattr(path, OPAQUE_XATTRS[0]!, Buffer.from('y'), 0);
  }
  async setXattr(path: string, name: string, value: Buffer): Promise<boolean> {
    sys().setXattr(path, name, value, 0);
    return true;
  }
  async lchown(path: string, uid: number, gid: number): Promise<void> {
    sys().lchown(path, uid, gid);
  }
  async lutimes(path: string, mtimeNs: bigint): Promise<void> {
    sys().lutimesNs(path, mtimeNs, mtimeNs);
  }
}
