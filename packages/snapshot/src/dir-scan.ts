import { native, type NativeBinding } from '@strata/native-overlay';

/** Lists a directory with every entry's lstat in one call (see @strata/context's DirScanner). */
export type NativeDirScanner = (absDir: string) => { names: string[]; stats: BigInt64Array; keys: string[] };

/**
 * native-overlay's lstatDir, for walking build contexts (the builder hands it to @strata/context, which
 * imports no native code). The addon is loaded on the first call: a build that reads no context never
 * opens it.
 */
export function nativeDirScanner(): NativeDirScanner {
  let b: NativeBinding | undefined;
  return (dir) => (b ??= native()).lstatDir(dir);
}
