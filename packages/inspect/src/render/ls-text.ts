import { humanBytes, table } from '../format.js';
import { isoTime, modeString } from '../facts.js';
import type { ListRow } from '../ls.js';

const STATUS_MARK: Record<string, string> = { added: 'A', changed: 'M', unchanged: '=', deleted: 'D', opaque: 'O' };

function name(r: ListRow): string {
  const f = r.facts;
  if (f.type === 'symlink') return `${r.path} -> ${f.linkname ?? ''}`;
  if (f.type === 'hardlink') return `${r.path} link to /${f.linkname ?? ''}`;
  if (f.type === 'dir' && r.path !== '/') return r.path + '/';
  if (r.status === 'opaque') return r.path + '/ (opaque: lower contents hidden)';
  return r.path;
}

/** `strata ls`: paths (one per line), or with `long` mode, owner, size, time and layer columns. */
export function lsText(rows: ListRow[], long: boolean): string {
  const layerView = rows.some((r) => r.status !== undefined);
  if (!long) return rows.map((r) => (layerView ? `${STATUS_MARK[r.status!]} ` : '') + name(r) + '\n').join('');
  const body = rows.map((r) => {
    const f = r.facts;
    const size = r.status === 'deleted' || r.status === 'opaque'
      ? `-${humanBytes(r.removedBytes ?? 0)}`
      : f.type === 'char' || f.type === 'block' ? `${f.devmajor},${f.devminor}` : String(f.contentSize ?? f.size);
    const cols = [modeString(f), `${f.uid}:${f.gid}`, size, f.type === 'whiteout' || f.type === 'opaque' ? '' : isoTime(f.mtimeNs), String(r.layer), name(r)];
    return layerView ? [STATUS_MARK[r.status!]!, ...cols] : cols;
  });
  const header = ['MODE', 'OWNER', 'SIZE', 'MTIME', 'LAYER', 'PATH'];
  return table(layerView ? ['ST', ...header] : header, body, layerView ? ['left', 'left', 'left', 'right'] : ['left', 'left', 'right']);
}

/** `strata ls --json` rows: mode in octal, times in ISO form, content as sha256. */
export function lsJson(rows: ListRow[]): object[] {
  return rows.map((r) => {
    const f = r.facts;
    const o: Record<string, unknown> = {
      path: r.path, type: f.type, mode: (f.mode & 0o7777).toString(8).padStart(4, '0'), uid: f.uid, gid: f.gid,
      size: f.contentSize ?? f.size, mtime: isoTime(f.mtimeNs), layer: r.layer,
    };
    if (f.linkname !== undefined) o.linkname = f.linkname;
    if (f.hash) o.sha256 = f.hash;
    if (f.xattrs) o.xattrs = f.xattrs;
    if (f.devmajor !== undefined) o.device = [f.devmajor, f.devminor];
    if (r.status) o.status = r.status;
    if (r.removedPaths !== undefined) Object.assign(o, { removedPaths: r.removedPaths, removedBytes: r.removedBytes });
    return o;
  });
}
