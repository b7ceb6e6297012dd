import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dockerfile } from '@strata/builder';
import { flag, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { readDockerfile } from './parse.js';

/** The ignore file docker build would use: FILE.dockerignore beside the Dockerfile, else .dockerignore there. */
function ignoreLines(dockerfilePath: string, explicit: string | undefined): string[] | undefined {
  const candidates = explicit ? [explicit]
    : [`${dockerfilePath}.dockerignore`, path.join(path.dirname(dockerfilePath), '.dockerignore')];
  for (const c of candidates) {
    if (explicit || existsSync(c)) {
      try {
        return readFileSync(c, 'utf8').split(/\r?\n/);
      } catch (e) {
        throw new UsageError(`cannot read ${c}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
  return undefined;
}

export const command: Command = {
  name: 'lint',
  summary: 'check a Dockerfile with the docker build --check rules',
  usage: [
    'Usage: strata lint [-f FILE] [--json] [--platform OS/ARCH] [--ignore-file PATH]',
    '',
    'Runs the build checks (StageNameCasing, UndefinedVar, JSONArgsRecommended, …) on FILE (default',
    './Dockerfile) and prints FILE:LINE: Rule: message for each finding. Honours `# check=skip=…;error=true`.',
    'CopyIgnoredFile uses FILE.dockerignore or .dockerignore beside FILE when present.',
    'Exit status: 0 when no error-level finding, 1 otherwise (or when the Dockerfile does not parse).',
    '',
    'Options:',
    '  -f, --file FILE     the Dockerfile (`-` for stdin)',
    '  --json              print the findings as a JSON array',
    '  --platform P        target platform for the predefined ARGs',
    '  --ignore-file PATH  the .dockerignore to use for CopyIgnoredFile',
  ].join('\n'),
  async run(argv, ctx) {
    const p = parseArgs(argv, {
      file: { type: 'string', short: 'f' }, json: { type: 'boolean' }, platform: { type: 'string' },
      'ignore-file': { type: 'string' },
    });
    if (p.positionals.length > 0) throw new UsageError(`unexpected argument ${p.positionals[0]}`);
    const file = str(p, 'file');
    const { name, text } = readDockerfile(file);
    const tree = dockerfile.parse(text, { filename: name });
    const opts: dockerfile.LintOptions = {};
    const platform = str(p, 'platform');
    if (platform) opts.platform = platform;
    const ignore = file === '-' ? undefined : ignoreLines(file ?? 'Dockerfile', str(p, 'ignore-file'));
    if (ignore) opts.dockerignore = ignore;
    const found = dockerfile.lint(tree, opts);
    if (flag(p, 'json')) ctx.out(JSON.stringify(found, null, 2) + '\n');
    else for (const d of found) ctx.out(`${name}:${d.range.start.line}: ${d.rule}: ${d.message}\n`);
    return found.some((d) => d.severity === 'error') ? 1 : 0;
  },
};
