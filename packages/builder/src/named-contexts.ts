import { statSync } from 'node:fs';
import path from 'node:path';
import type { NamedContext } from '@strata/planner';
import { BuildError } from './errors.js';

/** `--build-context NAME=VALUE` options, read: what the planner needs, and the directories by name. */
export interface NamedContexts {
  /** By lower-cased name (the planner's CompileOptions.namedContexts). */
  planned: Record<string, NamedContext>;
  /** Absolute directory of each directory context, by the same name. */
  dirs: Map<string, string>;
}

/**
 * Reads `--build-context` values as buildx takes them: `docker-image://REF` (an image standing for a stage or
 * image called NAME; `scratch` for an empty one) or a local directory (a second context: COPY --from=NAME,
 * RUN --mount from=NAME, or FROM NAME for its files on scratch). Git, HTTP and OCI-layout sources are not
 * taken; an unknown scheme, a missing directory or a bad name is one clear error.
 */
export function readNamedContexts(given: Record<string, string>, cwd = process.cwd()): NamedContexts {
  const planned: Record<string, NamedContext> = {};
  const dirs = new Map<string, string>();
  for (const [rawName, value] of Object.entries(given)) {
    const name = rawName.toLowerCase();
    if (!/^[a-z0-9][a-z0-9._/:@-]*$/.test(name)) throw new BuildError(`--build-context ${rawName}=${value}: bad name`);
    if (value.startsWith('docker-image://')) {
      const ref = value.slice('docker-image://'.length);
      if (ref === '') throw new BuildError(`--build-context ${rawName}=${value}: no image reference`);
      planned[name] = { kind: 'image', ref };
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('target:')) {
      throw new BuildError(`--build-context ${rawName}=${value}: only docker-image:// and local directories are supported`);
    }
    const dir = path.resolve(cwd, value);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new BuildError(`--build-context ${rawName}=${value}: ${dir} is not a directory`);
    planned[name] = { kind: 'dir' };
    dirs.set(name, dir);
  }
  return { planned, dirs };
}
