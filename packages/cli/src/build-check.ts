import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dockerfile } from '@strata/builder';
import type { CommandContext } from './command.js';
import { readDockerfile } from './commands/parse.js';

/**
 * `strata build --check`, as `docker build --check`: the build checks of the Dockerfile the build would use
 * (with the context's ignore file for CopyIgnoredFile), printed one per line, and no build. Exit status 1
 * when anything was found.
 */
export function checkOnly(contextDir: string, file: string | undefined, platform: string | undefined, ctx: CommandContext): number {
  const fallback = ['Dockerfile', 'dockerfile', 'Containerfile'].map((n) => path.join(contextDir, n)).find((p) => existsSync(p));
  const dockerfilePath = file ?? fallback ?? path.join(contextDir, 'Dockerfile');
  const { name, text } = readDockerfile(dockerfilePath);
  const tree = dockerfile.parse(text, { filename: name });
  const ignore = file === '-' ? undefined : [`${dockerfilePath}.dockerignore`, path.join(contextDir, '.dockerignore')].find((p) => existsSync(p));
  const found = dockerfile.lint(tree, { ...(platform ? { platform } : {}), ...(ignore ? { dockerignore: readFileSync(ignore, 'utf8').split(/\r?\n/) } : {}) });
  for (const d of found) ctx.out(`${name}:${d.range.start.line}: ${d.rule}: ${d.message}\n`);
  ctx.out(found.length === 0 ? 'Check complete, no warnings found.\n' : `Check complete, ${found.length} warning${found.length > 1 ? 's have' : ' has'} been found!\n`);
  return found.length === 0 ? 0 : 1;
}
