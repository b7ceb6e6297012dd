import { analyzeHtml, analyzeScans, analyzeText, checkGates, openImage, parseBytes, parseRatio, readMeta, scanImage, toJson, writeFileAtomic, type Gates } from '@strata/inspect';
import { flag, parseArgs, str, type ParsedArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { sourceOptions, SOURCE_HELP } from './inspect.js';

const spec = {
  json: { type: 'boolean' }, html: { type: 'string' }, top: { type: 'string' }, insecure: { type: 'boolean' },
  'max-wasted-bytes': { type: 'string' }, 'max-wasted-percent': { type: 'string' }, 'min-efficiency': { type: 'string' },
} as const;

function gates(p: ParsedArgs): Gates {
  const g: Gates = {};
  const wb = str(p, 'max-wasted-bytes'), wp = str(p, 'max-wasted-percent'), me = str(p, 'min-efficiency');
  if (wb !== undefined) {
    const v = parseBytes(wb);
    if (v === undefined) throw new UsageError(`--max-wasted-bytes wants a byte count such as 20MB, not ${JSON.stringify(wb)}`);
    g.maxWastedBytes = v;
  }
  if (wp !== undefined) {
    const v = parseRatio(wp);
    if (v === undefined) throw new UsageError(`--max-wasted-percent wants a ratio (0.1) or percentage (10%), not ${JSON.stringify(wp)}`);
    g.maxWastedPercent = v;
  }
  if (me !== undefined) {
    const v = parseRatio(me);
    if (v === undefined) throw new UsageError(`--min-efficiency wants a ratio (0.9) or percentage (90%), not ${JSON.stringify(me)}`);
    g.minEfficiency = v;
  }
  return g;
}

export const command: Command = {
  name: 'analyze',
  summary: 'size per layer and directory, wasted space, efficiency; CI gates',
  usage: `Usage: strata analyze [OPTIONS] IMAGE

Streams every layer (nothing extracted, content hashed on the fly) and reports: size per layer and per
directory; waste = bytes a later layer overwrote or deleted, plus identical content stored at several paths
(found by hash); and dive's efficiency score, computed as dive computes it (see the @strata/inspect README).

CI gates (exit 1, one line per failed gate on stderr, after the report):
  --max-wasted-bytes SIZE     fail when wasted bytes exceed SIZE (1000000, 20MB, 1.5GiB)
  --max-wasted-percent RATIO  fail when wasted ÷ stored bytes exceeds RATIO (0.1 or 10%)
  --min-efficiency RATIO      fail when dive's efficiency score is below RATIO (0.9 or 90%)

Options:
  --json         print the analysis as JSON
  --html FILE    also write a self-contained HTML report (layer/directory treemap, sortable tables)
  --top N        list the N largest items per section (default 20; JSON keeps 50 unless set)
  --insecure     allow plain http and unverified TLS for a registry
${SOURCE_HELP}`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError('analyze takes exactly one image');
    const g = gates(p);
    const topArg = str(p, 'top');
    const top = topArg === undefined ? undefined : Number(topArg);
    if (top !== undefined && !(Number.isInteger(top) && top > 0)) throw new UsageError('--top wants a positive whole number');
    const ref = p.positionals[0]!;
    const image = await openImage(ref, sourceOptions(p));
    const meta = await readMeta(ref, image);
    const a = analyzeScans(meta, await scanImage(meta, image), { top: Math.max(top ?? 50, 1000) });
    const html = str(p, 'html');
    if (html) writeFileAtomic(html, analyzeHtml(a));
    if (flag(p, 'json')) {
      const cut = top ?? 50;
      ctx.out(toJson({ ...a, waste: { ...a.waste, items: a.waste.items.slice(0, cut), duplicates: a.waste.duplicates.slice(0, cut) },
        efficiency: { ...a.efficiency, inefficiencies: a.efficiency.inefficiencies.slice(0, cut) }, gates: checkGates(a, g) }));
    } else ctx.out(analyzeText(a, top ?? 20));
    const failed = checkGates(a, g);
    for (const f of failed) ctx.err(`strata: analyze: ${f}\n`);
    return failed.length > 0 ? 1 : 0;
  },
};
