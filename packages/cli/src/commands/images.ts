import { oci } from '@strata/builder';
import { parseArgs, flag, str } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { renderTemplate } from '../go-template.js';

/** "3 hours ago" as docker prints it. */
function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'N/A';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const units: Array<[number, string]> = [[365 * 86400, 'year'], [30 * 86400, 'month'], [7 * 86400, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [n, u] of units) if (s >= n) return `${Math.floor(s / n)} ${u}${Math.floor(s / n) > 1 ? 's' : ''} ago`;
  return 'Less than a second ago';
}

/** Sizes as docker prints them (decimal units). */
function human(n: number): string {
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < u.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toPrecision(3)}${u[i]}`;
}

export const command: Command = {
  name: 'images',
  summary: 'list images in the local store',
  usage: `Usage: strata images [--quiet] [--digests] [--format table|json|TEMPLATE]

List the named images in the local store ($STRATA_ROOT).
  -q, --quiet     only image IDs
  --digests       show manifest digests
  --format FMT    table (default), json, or a docker-style template: '{{.Repository}}:{{.Tag}}',
                  'table {{.ID}}\t{{.Size}}', '{{json .}}'; fields ID, Repository, Tag, Digest,
                  CreatedSince, CreatedAt, Size
SIZE is the sum of the stored (compressed) layers.`,
  async run(argv, ctx) {
    const p = parseArgs(argv, { quiet: { type: 'boolean', short: 'q' }, digests: { type: 'boolean' }, format: { type: 'string' } });
    if (p.positionals.length > 1) throw new UsageError('images takes at most one REPOSITORY filter');
    const fmt = str(p, 'format') ?? 'table';
    if (fmt !== 'table' && fmt !== 'json' && !fmt.includes('{{')) throw new UsageError(`--format must be table, json or a template such as '{{.Repository}}:{{.Tag}}', not ${fmt}`);
    const store = new oci.LocalStore(oci.defaultStateRoot());
    try {
      let list = await store.list();
      const filter = p.positionals[0];
      if (filter) list = list.filter((i) => i.repository === filter || i.name === filter);
      if (fmt === 'json') {
        ctx.out(JSON.stringify(list, null, 2) + '\n');
        return 0;
      }
      if (fmt.includes('{{')) {
        const rows = list.map((i) => ({
          ID: i.id.slice(7, 19), Repository: i.repository, Tag: i.tag, Digest: i.digest,
          CreatedSince: ago(i.created), CreatedAt: i.created ?? '', Size: human(i.size),
        }));
        const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE' };
        ctx.out(renderTemplate(fmt, rows, headers));
        return 0;
      }
      if (flag(p, 'quiet')) {
        ctx.out([...new Set(list.map((i) => i.id.slice(7, 19)))].map((x) => x + '\n').join(''));
        return 0;
      }
      const digests = flag(p, 'digests');
      const rows = [['REPOSITORY', 'TAG', ...(digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE']];
      for (const i of list) rows.push([i.repository, i.tag, ...(digests ? [i.digest] : []), i.id.slice(7, 19), ago(i.created), human(i.size)]);
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      ctx.out(rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]! + 3))).join('')).join('\n') + '\n');
      return 0;
    } finally {
      store.close();
    }
  },
};
