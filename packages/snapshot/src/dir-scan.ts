import { COPY_CHMOD, COPY_CHOWN, COPY_PARAMS, native, type NativeBinding } from '@strata/native-overlay';

/** One directory's listing with every entry's lstat (see @strata/context's DirScanner). */
type DirListing = { names: string[]; stats: BigInt64Array; keys: string[] };

/** Lists a directory with every entry's lstat in one call, or (`async`) off the main thread. */
export type NativeDirScanner = ((absDir: string) => DirListing) & { async: (absDir: string) => Promise<DirListing> };

/**
 * native-overlay's lstatDir and lstatDirAsync, for walking build contexts (the builder hands them to
 * @strata/context, which imports no native code). The addon is loaded on the first call: a build that reads no
 * context never opens it.
 */
export function nativeDirScanner(): NativeDirScanner {
  let b: NativeBinding | undefined;
  return Object.assign((dir: string) => (b ??= native()).lstatDir(dir), { async: (dir: string) => (b ??= native()).lstatDirAsync(dir) });
}

/** One small file for SmallFileCopier: its name in both directories and what the copy gets. */
export interface SmallCopy {
  name: string;
  /** The size the source had when listed; the copy takes what it has when read. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Modification (and access) time, seconds. */
  mtime: number;
  chown: boolean;
  chmod: boolean;
}

/**
 * Copies small regular files of one directory into another where none of them exists, through memory, on the
 * thread pool, and resolves to their contents in order (native-overlay's copySmallFiles).
 */
export type SmallFileCopier = (srcDir: string, destDir: string, files: readonly SmallCopy[]) => Promise<Buffer[]>;

/** native-overlay's copySmallFiles, for the builder's COPY. The addon is loaded on the first call. */
export function nativeSmallFileCopier(): SmallFileCopier {
  let b: NativeBinding | undefined;
  return async (srcDir, destDir, files) => {
    const params = new Float64Array(files.length * COPY_PARAMS);
    files.forEach((f, i) => {
      params.set([f.size, f.mode, f.uid, f.gid, f.mtime, (f.chown ? COPY_CHOWN : 0) | (f.chmod ? COPY_CHMOD : 0)], i * COPY_PARAMS);
    });
    const { data, sizes } = await (b ??= native()).copySmallFiles(srcDir, destDir, files.map((f) => f.name), params);
    let at = 0;
    return Array.from(sizes, (n) => data.subarray(at, (at += n)));
  };
}
