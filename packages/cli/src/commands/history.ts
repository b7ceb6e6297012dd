import { historyText, historyView, openImage, readMeta, toJson } from '@strata/inspect';
import { flag, parseArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { sourceOptions, SOURCE_HELP } from './inspect.js';

const spec = { json: { type: 'boolean' }, 'no-trunc': { type: 'boolean' }, insecure: { type: 'boolean' } } as const;

export const command: Command = {
  name: 'history',
  summary: 'show the history of an image: each step, its layer size and digest',
  usage: `Usage: strata history [OPTIONS] IMAGE

Lists the image config's history, newest first: when each step ran, its instruction (created_by), and the
layer it made (compressed size, index and digest), with steps that made no layer marked "(empty layer)".
Reads only the manifest and config, never the layers.

Options:
  --json        print the history as JSON
  --no-trunc    do not shorten instructions
  --insecure    allow plain http and unverified TLS for a registry
${SOURCE_HELP}`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError('history takes exactly one image');
    const ref = p.positionals[0]!;
    const meta = await readMeta(ref, await openImage(ref, sourceOptions(p)));
    const rows = historyView(meta);
    ctx.out(flag(p, 'json') ? toJson(rows) : historyText(rows, flag(p, 'no-trunc') ? 100000 : 60));
    return 0;
  },
};
