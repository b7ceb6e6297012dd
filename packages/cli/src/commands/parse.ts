import { readFileSync } from 'node:fs';
import { dockerfile } from '@strata/builder';
import { flag, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';

/** Reads the Dockerfile named by -f (`-` = stdin; default ./Dockerfile) and returns its name and text. */
export function readDockerfile(file: string | undefined): { name: string; text: string } {
  const name = file ?? 'Dockerfile';
  try {
    return { name: name === '-' ? 'Dockerfile' : name, text: readFileSync(name === '-' ? 0 : name, 'utf8') };
  } catch (e) {
    throw new UsageError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function renderNode(n: dockerfile.InstructionNode, indent = ''): string {
  const pos = `${n.range.start.line}:${n.range.start.column}`;
  const flags = n.flags.map((f) => (f.value === null ? ` --${f.name}` : ` --${f.name}=${f.value}`)).join('');
  const args = n.args.map((a) => JSON.stringify(a.value)).join(' ');
  let s = `${indent}${pos.padEnd(7)} ${n.keyword}${flags}${n.json ? ' (exec)' : ''} ${args}`.trimEnd() + '\n';
  if (n.inner) s += renderNode(n.inner, indent + '  ');
  for (const h of n.heredocs) {
    s += `${indent}  <<${h.chomp ? '-' : ''}${h.name}${h.expand ? '' : ' (literal)'} ${JSON.stringify(h.content)}\n`;
  }
  return s;
}

export const command: Command = {
  name: 'parse',
  summary: 'parse a Dockerfile and print its syntax tree',
  usage: [
    'Usage: strata parse [-f FILE] [--json]',
    '',
    'Parses FILE (default ./Dockerfile, `-` for stdin) as BuildKit does and prints the syntax tree:',
    'directives, then one line per instruction (line:column, keyword, flags, arguments before expansion),',
    'with heredoc bodies beneath. Exit 1 with FILE:LINE:COL: reason when the Dockerfile is invalid.',
    '',
    'Options:',
    '  -f, --file FILE  the Dockerfile',
    '  --json           print the full tree (ranges, original text) as JSON',
  ].join('\n'),
  async run(argv, ctx) {
    const p = parseArgs(argv, { file: { type: 'string', short: 'f' }, json: { type: 'boolean' } });
    if (p.positionals.length > 0) throw new UsageError(`unexpected argument ${p.positionals[0]}`);
    const { name, text } = readDockerfile(str(p, 'file'));
    const tree = dockerfile.parse(text, { filename: name });
    dockerfile.toStages(tree); // validates flags, arguments and stages: an invalid file is an error here too
    if (flag(p, 'json')) {
      ctx.out(JSON.stringify(tree, null, 2) + '\n');
      return 0;
    }
    let out = '';
    for (const d of tree.directives) out += `# ${d.name}=${d.value}\n`;
    for (const n of tree.instructions) out += renderNode(n);
    for (const w of tree.warnings) out += `warning: ${name}:${w.range.start.line}: ${w.message}\n`;
    ctx.out(out);
    return 0;
  },
};
