import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecutorError } from './errors.js';

const nativeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build');

/**
 * One of the executor's native programs (scripts/build-native-executor.sh builds each with a `-asan` twin):
 * `$<envVar>` when set (the tests point it at the ASan build), else the build of `variant`.
 */
export function nativeBinary(what: string, name: string, envVar: string, variant: 'release' | 'asan'): string {
  const p = process.env[envVar] || path.join(nativeDir, variant === 'asan' ? `${name}-asan` : name);
  if (!existsSync(p)) throw new ExecutorError(`${what} ${p} is missing: run scripts/build-native-executor.sh`);
  return p;
}
