// Preload for a strata process: logs every HTTP(S) request it makes with start, headers-in and end times (ms
// since the process started) to $TRACE_OUT (default stderr) when the process exits. Where an export or an
// import spends its time shows as the gaps between and the overlap of requests. Usage:
//   NODE_OPTIONS="--import $PWD/benchmarks/cache/http-trace.mjs" TRACE_OUT=/tmp/t.txt strata build --cache-to … ctx
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const log = [];
const wrap = (mod, tag) => {
  const orig = mod.request;
  mod.request = function request(...args) {
    const u = args[0] instanceof URL ? args[0] : typeof args[0] === 'string' ? new URL(args[0]) : null;
    const opts = args[1] && typeof args[1] === 'object' && !(args[1] instanceof Function) ? args[1] : {};
    const where = u ? u.pathname.replace(/[a-f0-9]{64}/g, (h) => h.slice(0, 8)) : '?';
    const rec = { what: `${tag}${opts.method ?? 'GET'} ${where}`, start: performance.now() };
    log.push(rec);
    const req = orig.apply(this, args);
    req.on('response', (res) => { rec.head = performance.now(); res.on('end', () => { rec.end = performance.now(); }); });
    req.on('close', () => { rec.end ??= performance.now(); });
    return req;
  };
};
wrap(http, '');
wrap(https, 'https ');
process.on('exit', () => {
  const f = (x) => (x === undefined ? '     -' : x.toFixed(1).padStart(6));
  const lines = [`# exit at ${performance.now().toFixed(1)} ms; start, headers, end (ms), request`, ...log.map((r) => `${f(r.start)} ${f(r.head)} ${f(r.end)}  ${r.what}`)];
  if (process.env.TRACE_OUT) fs.writeFileSync(process.env.TRACE_OUT, lines.join('\n') + '\n');
  else process.stderr.write(lines.join('\n') + '\n');
});
