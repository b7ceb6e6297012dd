import fs from 'node:fs';
import path from 'node:path';
import { native } from '@strata/native-overlay';

/** Deterministic pseudo-random bytes (xorshift), so large files differ from run to run only by seed. */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b.writeInt32LE(x | 0, Math.min(i, n - 4));
  }
  return b;
}

/** Writes a file, making parents. */
export function put(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data, { mode });
  fs.chmodSync(p, mode);
}

/** Directory depth of the deep tree in the lower layer. */
export const DEEP = 24;
/** Path of the deep tree's leaf dir. */
export const deepDir = (n = DEEP): string => Array.from({ length: n }, (_, i) => `d${i}`).join('/');

/** The bottom layer: every kind of object a scenario touches. */
export function populateLower1(root: string): void {
  put(root, 'etc/conf', 'key=value\n');
  put(root, 'etc/keep', 'unchanged\n');
  put(root, 'etc/secret', 'secret\n', 0o600);
  put(root, 'data/big.bin', bytes(4 << 20, 7));
  put(root, 'dir/a', 'a\n');
  put(root, 'dir/b', 'b\n');
  put(root, 'dir/sub/c', 'c\n', 0o755);
  put(root, 'hl/one', 'linked\n');
  fs.linkSync(path.join(root, 'hl/one'), path.join(root, 'hl/two'));
  fs.symlinkSync('dir/a', path.join(root, 'link'));
  fs.mkdirSync(path.join(root, 'dev'));
  native().mknod(path.join(root, 'dev/null'), 0o020666, 1, 3);
  native().mknod(path.join(root, 'dev/fifo'), 0o010644, 0, 0);
  put(root, 'x/attr', 'has xattr\n');
  native().setXattr(path.join(root, 'x/attr'), 'user.test', Buffer.from([0, 1, 255, 10]), 0);
  native().setXattr(path.join(root, 'x'), 'trusted.dirattr', Buffer.from('dir'), 0);
  put(root, 'x/attr2', 'loses its xattr\n');
  native().setXattr(path.join(root, 'x/attr2'), 'user.gone', Buffer.from('soon'), 0);
  for (const n of ['p', 'q', 'r']) put(root, `opq/${n}`, n);
  put(root, 'opq/inner/s', 's');
  put(root, 'rm/tree/one', '1');
  put(root, 'rm/tree/two', '2');
  put(root, 'rm/three', '3');
  put(root, `${deepDir()}/leaf`, 'deep\n');
  put(root, 'owned', 'owned\n');
  fs.chownSync(path.join(root, 'owned'), 1234, 5678);
  fs.mkdirSync(path.join(root, 'emptydir'));
}

/** The middle layer: a change, a deletion and a directory replaced wholesale, so scenarios see merged lowers. */
export function populateLower2(root: string): void {
  fs.appendFileSync(path.join(root, 'etc/conf'), 'layer2=yes\n');
  fs.rmSync(path.join(root, 'dir/b'));
  fs.rmSync(path.join(root, 'opq'), { recursive: true });
  fs.mkdirSync(path.join(root, 'opq'));
  put(root, 'opq/from2', 'layer two');
  put(root, 'two/only', 'in layer two\n');
}
