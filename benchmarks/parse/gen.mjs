// Deterministic Dockerfile generators for the parse benchmark: one big file and many varied small ones.
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  (i) => `RUN apt-get update && apt-get install -y --no-install-recommends pkg${i} \\\n    && rm -rf /var/lib/apt/lists/*`,
  (i) => `RUN --mount=type=cache,target=/root/.cache/${i} --mount=type=bind,source=req${i}.txt,target=/req.txt \\\n    pip install -r /req.txt`,
  (i) => `COPY --chown=app:app --chmod=0644 src/${i}/ /app/src/${i}/`,
  (i) => `ENV VAR_${i}=value${i} PATH=/opt/${i}/bin:$PATH`,
  (i) => `LABEL org.example.item${i}="item ${i}" version="${i}"`,
  (i) => `ARG OPT_${i}=default${i}`,
  (i) => `WORKDIR /srv/app/${i}`,
  (i) => `RUN ["sh", "-c", "echo step ${i} > /tmp/step${i}"]`,
  (i) => `RUN <<EOF\nset -e\necho heredoc ${i}\nEOF`,
  (i) => `EXPOSE ${1000 + (i % 60000)}/tcp`,
  (i) => `USER ${1000 + (i % 100)}`,
  (i) => `ADD https://example.com/archive${i}.tar.gz /downloads/`,
  (i) => `HEALTHCHECK --interval=30s CMD curl -f http://localhost:${i}/ || exit 1`,
  (i) => `# comment about step ${i}`,
];

/** A Dockerfile with `count` instructions (plus a FROM every 500). */
export function bigDockerfile(count) {
  const out = ['# syntax=docker/dockerfile:1', 'ARG BASE=debian:bookworm-slim'];
  let n = 0;
  for (let i = 0; n < count; i++) {
    if (i % 500 === 0) {
      out.push(`FROM \${BASE} AS stage${i}`);
      n++;
      continue;
    }
    const p = PIECES[i % PIECES.length](i);
    out.push(p);
    if (!p.startsWith('#')) n++;
  }
  out.push('CMD ["/srv/app/run"]');
  return out.join('\n') + '\n';
}

/** `count` varied Dockerfiles (1–4 stages, 3–40 instructions, mixed forms), seeded. */
export function variedDockerfiles(count, seed = 7) {
  const r = rng(seed);
  const files = [];
  for (let f = 0; f < count; f++) {
    const lines = ['# syntax=docker/dockerfile:1'];
    if (r() < 0.5) lines.push(`ARG VERSION=${Math.floor(r() * 20)}`);
    const stages = 1 + Math.floor(r() * 4);
    for (let s = 0; s < stages; s++) {
      lines.push(s === 0 ? `FROM node:\${VERSION:-20}-alpine AS s${s}` : `FROM s${s - 1} AS s${s}`);
      const n = 3 + Math.floor(r() * 10);
      for (let k = 0; k < n; k++) lines.push(PIECES[Math.floor(r() * PIECES.length)](f * 100 + k));
      if (s > 0 && r() < 0.5) lines.push(`COPY --from=s0 /app /app${s}`);
    }
    lines.push(r() < 0.5 ? 'CMD ["node", "index.js"]' : 'ENTRYPOINT ["/entry.sh"]');
    files.push(lines.join('\n') + '\n');
  }
  return files;
}
