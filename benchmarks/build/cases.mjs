// The five benchmark cases of issue 8, written into a directory: each case is a build context with a
// Dockerfile on the `busybox` base, plus a `change(dir)` that makes the one-file change.
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const write = (dir, rel, data) => {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), data);
};

// A RUN that takes ~2 s: writes 500 files, then hashes 64 MB.
const heavyRun = (name) =>
  `RUN mkdir -p /out/${name} && i=0; while [ $i -lt 500 ]; do echo "${name} $i" > /out/${name}/f$i; i=$((i+1)); done; ` +
  `dd if=/dev/zero bs=1M count=64 2>/dev/null | sha256sum > /out/${name}/sum && sleep 1`;

/** Every case: name → { make(dir), change(dir) }. */
export const cases = {
  a: {
    what: 'three independent stages (2 s RUN, 500 files, 64 MB hashed each) and a final stage copying from all',
    make(dir) {
      write(dir, 'input.txt', 'v1\n');
      write(dir, 'Dockerfile', [
        'FROM busybox AS one', heavyRun('one'),
        'FROM busybox AS two', heavyRun('two'),
        'FROM busybox AS three', heavyRun('three'),
        'FROM busybox', 'COPY --from=one /out/one /one', 'COPY --from=two /out/two /two',
        'COPY --from=three /out/three /three', 'COPY input.txt /input.txt', '',
      ].join('\n'));
    },
    change(dir) { appendFileSync(path.join(dir, 'input.txt'), 'changed\n'); },
  },
  b: {
    what: 'context of 10,000 small files in 100 dirs plus three 50 MB files, COPY . /app',
    make(dir) {
      for (let d = 0; d < 100; d++) for (let f = 0; f < 100; f++) write(dir, `src/d${d}/f${f}.txt`, `file ${d}/${f}\n`);
      for (let i = 0; i < 3; i++) write(dir, `big${i}.bin`, randomBytes(50 * 1024 * 1024));
      write(dir, 'Dockerfile', 'FROM busybox\nCOPY . /app\n');
    },
    change(dir) { appendFileSync(path.join(dir, 'src/d50/f50.txt'), 'changed\n'); },
  },
  c: {
    what: '20 RUN steps writing a few files each; the changed file is copied after step 10',
    make(dir) {
      const lines = ['FROM busybox'];
      for (let i = 1; i <= 20; i++) {
        lines.push(`RUN mkdir -p /s${i} && echo ${i} > /s${i}/a && echo ${i} > /s${i}/b && echo ${i} > /s${i}/c`);
        if (i === 10) lines.push('COPY app.txt /app.txt');
      }
      write(dir, 'app.txt', 'v1\n');
      write(dir, 'Dockerfile', lines.join('\n') + '\n');
    },
    change(dir) { appendFileSync(path.join(dir, 'app.txt'), 'changed\n'); },
  },
  d: {
    what: 'a RUN writing 200 MB, a later RUN deleting half',
    make(dir) {
      write(dir, 'note.txt', 'v1\n');
      write(dir, 'Dockerfile', [
        'FROM busybox',
        'RUN mkdir /data && i=0; while [ $i -lt 20 ]; do dd if=/dev/urandom of=/data/f$i bs=1M count=10 2>/dev/null; i=$((i+1)); done',
        'RUN rm -f /data/f1? && ls /data | wc -l',
        'COPY note.txt /note.txt', '',
      ].join('\n'));
    },
    change(dir) { appendFileSync(path.join(dir, 'note.txt'), 'changed\n'); },
  },
  e: {
    what: 'metadata instructions only',
    make(dir) {
      write(dir, 'Dockerfile', [
        'FROM busybox', 'ARG V=1', 'ENV A=1 B=2', 'LABEL org.example.v="1"', 'WORKDIR /', 'USER 0:0',
        'EXPOSE 8080/tcp', 'STOPSIGNAL SIGTERM', 'CMD ["sh"]', '',
      ].join('\n'));
    },
    change(dir) {
      const p = path.join(dir, 'Dockerfile');
      appendFileSync(p, 'LABEL org.example.changed="yes"\n');
    },
  },
};
