import { lint, type Diagnostic, type DockerfileTree } from '@strata/dockerfile';
import type { ImageResolver } from '@strata/planner';
import { BuildError } from './errors.js';

/**
 * The build checks docker build runs (the rules of `strata lint`), on the Dockerfile being built: findings
 * are warnings (`FILE:LINE: Rule: message`), and with `# check=error=true` any finding fails the build
 * before a step runs, as BuildKit fails it. Base images' ENV is known to UndefinedVar through `envOf`, from
 * the images the planner resolved. CopyIgnoredFile is left to `strata lint`: it needs the .dockerignore,
 * which a cached build does not otherwise read.
 */
export function runBuildChecks(tree: DockerfileTree, filename: string, envOf: (image: string) => Record<string, string> | undefined,
  warn: (m: string) => void, platform?: string): void {
  const found: Diagnostic[] = lint(tree, { imageEnv: envOf, ...(platform ? { platform } : {}) });
  for (const d of found) warn(`${filename}:${d.range.start.line}: ${d.rule}: ${d.message}`);
  const errors = found.filter((d) => d.severity === 'error');
  if (errors.length === 0) return;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: ${[...new Set(errors.slice(1).map((d) => d.rule))].join(', ')})` : '';
  throw new BuildError(`${filename}:${first.range.start.line}: lint violation (# check=error=true): ${first.rule}: ${first.message}${more}`);
}

/** Wraps the planner's image resolver to remember each resolved image's ENV, by reference, for the checks. */
export function rememberingEnv(resolve: ImageResolver): { resolve: ImageResolver; envOf: (image: string) => Record<string, string> | undefined } {
  const envs = new Map<string, Record<string, string>>();
  return {
    resolve: async (ref, platform) => {
      const img = await resolve(ref, platform);
      envs.set(ref, Object.fromEntries((img.config.config?.Env ?? []).map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)])));
      return img;
    },
    envOf: (image) => envs.get(image),
  };
}
