import path from 'node:path';
import { context, defaultDockerfile, dockerfile } from '@strata/builder';
import type { CommandContext } from './command.js';
import { readDockerfile } from './commands/parse.js';

/**
 * `strata build --check`, as `docker build --check`: the build checks of the Dockerfile the build would use
 * (with the ignore file the build would use, for CopyIgnoredFile), printed one per line, and no build. Exit
 * status 1 when anything was found.
 */
export async function checkOnly(contextDir: string, file: string | undefined, platform: string | undefined, ctx: CommandContext): Promise<number> {
  const dockerfilePath = file ?? defaultDockerfile(contextDir);
  const { name, text } = readDockerfile(dockerfilePath);
  const tree = dockerfile.parse(text, { filename: name });
  const ignore = await context.loadIgnoreFile(contextDir, file === '-' ? undefined : path.resolve(dockerfilePath));
  const found = dockerfile.lint(tree, { ...(platform ? { platform } : {}), ...(ignore.file ? { dockerignore: ignore.patterns } : {}) });
  for (const d of found) ctx.out(`${name}:${d.range.start.line}: ${d.rule}: ${d.message}\n`);
  ctx.out(found.length === 0 ? 'Check complete, no warnings found.\n' : `Check complete, ${found.length} warning${found.length > 1 ? 's have' : ' has'} been found!\n`);
  return found.length === 0 ? 0 : 1;
}
