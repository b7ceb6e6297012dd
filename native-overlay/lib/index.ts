import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Raised when the native addon is not built or a syscall fails; `code` is the errno name (e.g. 'EXDEV'). */
export class NativeError extends Error {
  override name = 'NativeError';
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** Stat with nanosecond times (Node's bigint stat has them too; this one never follows a final symlink). */
export interface NsStat {
  dev: bigint; ino: bigint; mode: number; nlink: number; uid: number; gid: number; rdev: bigint;
  size: bigint; atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint;
}

/** The raw addon surface. Implemented in C (src/binding/, syscalls in src/sys/). */
export interface NativeBinding {
  /** mount -t overlay overlay -o lowerdir=..,upperdir=..,workdir=..[,extra] target */
  mountOverlay(target: string, lowerDirs: string[], upperDir: string | null, workDir: string | null, extraOptions: string[]): void;
  /** umount2(target, flags); flags: 0 or MNT_DETACH (2). */
  unmount(target: string, flags: number): void;
  /** mknod(path, S_IFCHR|0000, makedev(0,0)): an overlay whiteout. */
  mkWhiteout(path: string): void;
  /** mknod for char/block devices and fifos. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  getXattr(path: string, name: string): Buffer | null;
  setXattr(path: string, name: string, value: Buffer, flags: number): void;
  listXattr(path: string): string[];
  removeXattr(path: string, name: string): void;
  /** renameat2(AT_FDCWD, from, AT_FDCWD, to, flags); flags: RENAME_NOREPLACE=1, RENAME_EXCHANGE=2, RENAME_WHITEOUT=4. */
  rename2(from: string, to: string, flags: number): void;
  /** ioctl FICLONE; returns false when the filesystem cannot reflink (the caller copies). */
  cloneFile(src: string, dst: string): boolean;
  lstatNs(path: string): NsStat;
  /**
   * The entries of a directory (not . and ..) in directory order, with their lstat: `stats` holds
   * DIR_STAT_FIELDS values per entry, `keys` each entry's "dev:ino:size:mtimeNs:ctimeNs" (a stat index's
   * identity of a file). One call per directory of a build-context walk. With `xattrs` true, `xattrBytes`
   * holds each entry's xattr name-list size (0: none, also on a filesystem without xattrs; -1: unknown).
   */
  lstatDir(path: string): { names: string[]; stats: BigInt64Array; keys: string[] };
  lstatDir(path: string, xattrs: true): { names: string[]; stats: BigInt64Array; keys: string[]; xattrBytes: Int32Array };
  /** lstatDir with its syscalls on the libuv thread pool: several directories are scanned at once. */
  lstatDirAsync(path: string): Promise<{ names: string[]; stats: BigInt64Array; keys: string[] }>;
  /**
   * Copies small regular files `names` from srcDir into destDir, where none of them exists yet, through memory,
   * on the libuv thread pool, and resolves to their contents (each read to its end) one after another in `data`,
   * with each one's size in `sizes` (one Buffer for all: fewer backing stores to collect). `params` holds COPY_PARAMS
   * numbers per name: expected size, mode, uid, gid, mtime in seconds, flags (COPY_CHOWN: chown to uid:gid;
   * COPY_CHMOD: chmod to mode after it; the file is created with mode & 0o777). Relative to the two
   * directories' descriptors: one call per directory of a COPY. A failure names the file and the call.
   */
  copySmallFiles(srcDir: string, destDir: string, names: string[], params: Float64Array): Promise<{ data: Buffer; sizes: Float64Array }>;
  /** lchown without following the final symlink. */
  lchown(path: string, uid: number, gid: number): void;
  /** utimensat with AT_SYMLINK_NOFOLLOW, nanosecond times. */
  lutimesNs(path: string, atimeNs: bigint, mtimeNs: bigint): void;
  /** syncfs on the filesystem holding path. */
  syncfs(path: string): void;
}

/** Field order of lstatDir's `stats` (st_mtim and st_ctim as nanoseconds). */
export const DIR_STAT_FIELDS = ['mode', 'uid', 'gid', 'size', 'dev', 'ino', 'rdev', 'mtimeNs', 'ctimeNs', 'nlink'] as const;

/** Numbers per file in copySmallFiles' params, and its flags. */
export const COPY_PARAMS = 6;
export const COPY_CHOWN = 1;
export const COPY_CHMOD = 2;

export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;
export const MNT_DETACH = 2;
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

const here = path.dirname(fileURLToPath(import.meta.url));
/** Root of the native-overlay package (this file lives in dist/lib/). */
export const packageRoot = path.resolve(here, '..', '..');

let cached: NativeBinding | undefined;

/** Loads the addon once; throws NativeError with a one-line hint when it was not built. */
export function native(): NativeBinding {
  if (cached) return cached;
  const file = path.join(packageRoot, 'build', 'Release', 'strata_native.node');
  if (!existsSync(file)) throw new NativeError(`native addon not built: ${file} (run: npm run build:native)`);
  const require = createRequire(import.meta.url);
  cached = wrapErrors(require(file) as NativeBinding);
  return cached;
}

/** Loads an addon file directly (e.g. the ASan build under build/asan/), errors mapped like native(). */
export function loadBinding(file: string): NativeBinding {
  const require = createRequire(import.meta.url);
  return wrapErrors(require(file) as NativeBinding);
}

/** The addon throws (or rejects with) plain Errors carrying `code` (the errno name); callers get NativeError instead. */
function wrapErrors(raw: NativeBinding): NativeBinding {
  const asNative = (e: unknown): NativeError => {
    if (e instanceof NativeError) return e;
    const err = e as { message?: string; code?: string };
    return new NativeError(err.message ?? String(e), err.code);
  };
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(raw as unknown as Record<string, (...a: unknown[]) => unknown>)) {
    wrapped[name] = (...args: unknown[]) => {
      let r: unknown;
      try {
        r = fn(...args);
      } catch (e) {
        throw asNative(e);
      }
      return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(asNative(e))) : r;
    };
  }
  return wrapped as unknown as NativeBinding;
}

/** Path of the strata-unionfs binary (fuse-overlayfs compatible command line). */
export function unionfsBinary(): string {
  return path.join(packageRoot, 'build', 'bin', 'strata-unionfs');
}
