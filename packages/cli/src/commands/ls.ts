import { InspectError, listLayer, listMerged, lsJson, lsText, openImage, readMeta, resolveLayer, scanImage, toJson } from '@strata/inspect';
import { flag, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { sourceOptions, SOURCE_HELP } from './inspect.js';

const spec = { layer: { type: 'string' }, long: { type: 'boolean', short: 'l' }, json: { type: 'boolean' }, insecure: { type: 'boolean' } } as const;

export const command: Command = {
  name: 'ls',
  summary: 'list an image\'s files: the merged tree, or one layer\'s own entries',
  usage: `Usage: strata ls [OPTIONS] IMAGE [PATH]

Without --layer, lists the filesystem a container of IMAGE starts with (every layer applied, whiteouts and
opaque directories honoured) under PATH (default /). With --layer, lists that layer's own entries, each
marked with what it did to the layers below: A added, M changed, = unchanged (a parent directory the tar
carries), D deleted (a whiteout; the size column shows the bytes it hid), O opaque directory.
Layers are streamed; nothing is extracted.

Options:
  --layer N|DIGEST   one layer: its index (0 = base) or a digest / diff ID (a unique prefix will do)
  -l, --long         mode, owner, size, mtime and the layer that wrote each path
  --json             print the rows as JSON (mode in octal, sha256 of file content)
  --insecure         allow plain http and unverified TLS for a registry
${SOURCE_HELP}`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length < 1 || p.positionals.length > 2) throw new UsageError('ls takes an image and an optional path');
    const [ref, path] = p.positionals as [string, string | undefined];
    const image = await openImage(ref, sourceOptions(p));
    const meta = await readMeta(ref, image);
    const layerSpec = str(p, 'layer');
    const layer = layerSpec === undefined ? undefined : resolveLayer(meta, layerSpec);
    // A layer's view needs the layers below it too (to say what it changed); layers above are never read.
    const only = layer === undefined ? undefined : Array.from({ length: layer + 1 }, (_, i) => i);
    const scans = await scanImage(meta, image, only ? { only } : {});
    const rows = layer === undefined ? listMerged(scans, path) : listLayer(scans, layer, path);
    if (!rows) throw new InspectError(`${ref}: no such path ${path}`);
    ctx.out(flag(p, 'json') ? toJson(lsJson(rows)) : lsText(rows, flag(p, 'long')));
    return 0;
  },
};
