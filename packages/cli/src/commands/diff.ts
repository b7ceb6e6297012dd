import {
  diffHtml, diffImages, diffLayers, diffMarkdown, diffText, imageTreemap, openImage, readMeta, resolveLayer, scanImages,
  splitLayerRef, diffJsonParts, writeFileAtomic, type ScanCache,
} from '@strata/inspect';
import { flag, parseArgs, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { sourceOptions, SOURCE_HELP } from './inspect.js';

const spec = {
  mtime: { type: 'boolean' }, json: { type: 'boolean' }, markdown: { type: 'boolean' }, html: { type: 'string' }, insecure: { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'diff',
  summary: 'compare two images or two layers by content and attributes',
  usage: `Usage: strata diff [OPTIONS] A B

A and B are two images (two builds of one tag: NAME@sha256:OLD NAME, or the same name from two sources), or
two layers written IMAGE#N or IMAGE#DIGEST. Files are compared by content hash and attributes: added,
removed, content, mode, owner, xattrs, link target, type, device numbers. Modification times alone are
noise in rebuilt images and are hidden unless --mtime. Layers are lined up by diff ID and history, not by
position, and each change is attributed to the history entry (Dockerfile step) that made it. Layers both
images share are read once.

Options:
  --mtime        also report changed modification times
  --json         print the whole result as JSON
  --markdown     print Markdown (for a pull-request comment)
  --html FILE    also write a self-contained HTML report (treemap of B's layers, sortable changes table)
  --insecure     allow plain http and unverified TLS for a registry
${SOURCE_HELP}`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length !== 2) throw new UsageError('diff takes exactly two images (or two IMAGE#LAYER)');
    if (flag(p, 'json') && flag(p, 'markdown')) throw new UsageError('give --json or --markdown, not both');
    const [ra, rb] = p.positionals.map(splitLayerRef) as [ReturnType<typeof splitLayerRef>, ReturnType<typeof splitLayerRef>];
    if ((ra.layer === undefined) !== (rb.layer === undefined)) throw new UsageError('compare two images or two layers (IMAGE#N), not one of each');
    const opts = sourceOptions(p);
    const [ia, ib] = await Promise.all([openImage(ra.image, opts), openImage(rb.image, opts)]);
    const [a, b] = await Promise.all([readMeta(ra.image, ia), readMeta(rb.image, ib)]);
    const cache: ScanCache = new Map();
    let result, treemap;
    if (ra.layer !== undefined && rb.layer !== undefined) {
      const la = resolveLayer(a, ra.layer), lb = resolveLayer(b, rb.layer);
      const [sa, sb] = await scanImages([{ meta: a, image: ia, only: [la] }, { meta: b, image: ib, only: [lb] }], {}, cache);
      result = diffLayers(a, la, sa[la]!, b, lb, sb[lb]!, { mtime: flag(p, 'mtime') });
      treemap = [{ ...imageTreemap(a, sa, [la])[0]!, index: 0 }, { ...imageTreemap(b, sb, [lb])[0]!, index: 1 }]
        .map((l, i) => ({ ...l, label: `${i === 0 ? 'A' : 'B'} layer ${i === 0 ? la : lb}: ${l.label}` }));
    } else {
      const [sa, sb] = await scanImages([{ meta: a, image: ia }, { meta: b, image: ib }], {}, cache);
      result = diffImages(a, sa, b, sb, { mtime: flag(p, 'mtime') });
      treemap = imageTreemap(b, sb);
    }
    const html = str(p, 'html');
    if (html) writeFileAtomic(html, diffHtml(result, treemap));
    if (flag(p, 'json')) for (const part of diffJsonParts({ ...result })) ctx.out(part);
    else ctx.out(flag(p, 'markdown') ? diffMarkdown(result) : diffText(result));
    return 0;
  },
};
