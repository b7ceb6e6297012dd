/** Escapes text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** One column of a sortable table; `num` columns sort numerically by each cell's data-v value. */
export interface Column { title: string; num?: boolean }

/** A table cell: display text, and for numeric columns the value it sorts by. */
export type Cell = string | { text: string; v: number };

/** A table whose headers sort it when clicked (see SCRIPT). */
export function sortableTable(id: string, cols: Column[], rows: Cell[][], note = ''): string {
  const head = cols.map((c, i) => `<th data-col="${i}"${c.num ? ' data-num="1"' : ''} tabindex="0">${esc(c.title)}</th>`).join('');
  const body = rows.map((r) => '<tr>' + r.map((c, i) => {
    if (typeof c === 'string') return `<td>${esc(c)}</td>`;
    return `<td data-v="${c.v}"${cols[i]?.num ? ' class="n"' : ''}>${esc(c.text)}</td>`;
  }).join('') + '</tr>').join('\n');
  return `<table class="sortable" id="${esc(id)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${note ? `<p class="note">${esc(note)}</p>` : ''}`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d1d1f;background:#fff}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.4em 0 .5em}
.meta{color:#555;margin:0 0 1em}.meta code{font-size:.95em}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5em .9em}
.card b{display:block;font-size:1.3em}
svg.treemap{width:100%;height:auto;border:1px solid #ccc;background:#fafafa}
svg.treemap rect.layer{stroke:#fff;stroke-width:3}svg.treemap rect.dir{stroke:#fff;stroke-width:1;fill-opacity:.85}
svg.treemap text{font-size:12px;fill:#fff;pointer-events:none}
table.sortable{border-collapse:collapse;width:100%;font-size:13px}
table.sortable th{cursor:pointer;text-align:left;background:#f0f0f3;position:sticky;top:0;padding:4px 8px;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
table.sortable td{padding:3px 8px;border-top:1px solid #eee;font-family:ui-monospace,monospace;word-break:break-all}
td.n{text-align:right;white-space:nowrap}.note{color:#777}
.k-added{color:#0a7a28}.k-removed{color:#b3261e}.k-changed{color:#8a5a00}
td.k-added,td.k-removed,td.k-changed{white-space:nowrap;word-break:normal}
`;

/** Sorts a table by the clicked column, toggling direction; numeric columns by data-v. No network, no libraries. */
const SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.querySelectorAll('th');
  heads.forEach(function (th) {
    function sort() {
      var col = Number(th.getAttribute('data-col')), num = th.getAttribute('data-num') === '1';
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        if (num) return dir * (Number(x.getAttribute('data-v')) - Number(y.getAttribute('data-v')));
        return dir * x.textContent.localeCompare(y.textContent);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sort(); });
  });
});
document.querySelectorAll('svg.treemap rect').forEach(function (r) {
  r.addEventListener('click', function () {
    var info = document.getElementById('treemap-info');
    if (info) info.textContent = r.querySelector('title') ? r.querySelector('title').textContent : '';
  });
});
document.documentElement.setAttribute('data-ready', '1');
`;

/** A complete, self-contained page: inline style and script, a CSP that forbids every fetch. */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
${body}
<script>${SCRIPT}</script>
</body></html>
`;
}
