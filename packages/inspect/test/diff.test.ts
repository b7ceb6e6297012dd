import { strict as assert } from 'node:assert';
import { diffImages, diffLayers } from '../src/diff.js';
import { readMeta } from '../src/image-meta.js';
import { scanImage, scanImages } from '../src/load.js';
import { diffMarkdown } from '../src/render/diff-markdown.js';
import { diffText } from '../src/render/diff-text.js';
import { rebuildImage, wasteImage, wasteSteps } from './support/fixtures.js';
import { buildImage } from './support/memory-image.js';
import { file, hardlink } from './support/entries.js';

async function load() {
  const [ia, ib] = await Promise.all([wasteImage(), rebuildImage()]);
  const [a, b] = await Promise.all([readMeta('app:v1', ia), readMeta('app:v2', ib)]);
  return { a, b, sa: await scanImage(a, ia), sb: await scanImage(b, ib) };
}

/** Each change as `kind path aspects @side:layer`. */
function lines(d: ReturnType<typeof diffImages>): string[] {
  return d.changes.map((c) => `${c.kind} ${c.path} ${c.aspects.join(',')} @${c.by!.side}:${c.by!.layer}`.replace('  ', ' '));
}

describe('diff: two builds of one app', () => {
  it('finds every change by content and attributes, mtime-only hidden, each attributed to its step', async () => {
    const { a, b, sa, sb } = await load();
    const d = diffImages(a, sa, b, sb);
    assert.deepEqual(lines(d), [
      'added /app/new @b:3',
      'changed /app/main content @b:3',
      'removed /app/tool-copy @b:3',
      'changed /bin/sh link @b:2',
      'changed /etc/config content @b:1',
      'added /etc/extra @b:2',
      'changed /etc/mode-only mode @b:1',
      'changed /etc/owner-only owner @b:1',
      'changed /usr/bin/tool xattrs @b:1',
      'removed /usr/lib/libx.so @b:2',
      'changed /usr/share/doc/a.txt type @b:2',
    ].sort((x, y) => x.split(' ')[1]!.localeCompare(y.split(' ')[1]!)));
    assert.deepEqual(d.summary, { added: 2, removed: 2, changed: 7, mtimeOnlyHidden: 1 });
    const extra = d.changes.find((c) => c.path === '/etc/extra')!;
    assert.equal(extra.by!.createdBy, 'RUN echo extra # buildkit');
    assert.equal(extra.by!.history, 3);
  });

  it('shows mtime changes with the mtime option', async () => {
    const { a, b, sa, sb } = await load();
    const d = diffImages(a, sa, b, sb, { mtime: true });
    assert.deepEqual(d.changes.find((c) => c.path === '/etc/mtime-only')!.aspects, ['mtime']);
    assert.equal(d.summary.mtimeOnlyHidden, 0);
    assert.equal(d.summary.changed, 8);
  });

  it('lines layers up by diff ID and history, not position', async () => {
    const { a, b, sa, sb } = await load();
    const d = diffImages(a, sa, b, sb);
    assert.deepEqual(d.alignment.map((r) => [r.status, r.a, r.b]), [
      ['same', 0, 0], ['rebuilt', 1, 1], ['only-b', undefined, 2], ['rebuilt', 2, 3]]);
  });

  it('attributes what a dropped layer made to that layer of A', async () => {
    const ia = await wasteImage();
    const ib = await buildImage(wasteSteps().slice(0, 3));
    const [a, b] = await Promise.all([readMeta('full', ia), readMeta('short', ib)]);
    const d = diffImages(a, await scanImage(a, ia), b, await scanImage(b, ib));
    assert.deepEqual(lines(d), ['removed /app  @a:2', 'removed /app/main  @a:2', 'removed /app/tool-copy  @a:2'].map((l) => l.replace('  ', ' ')));
    assert.deepEqual(d.alignment.map((r) => r.status), ['same', 'same', 'only-a']);
    assert.match(diffText(d), /\nA \(full\) layer 2, history #3: COPY app \/app # buildkit — layer not in B\n/);
  });

  it('a shared layer\'s hardlink takes its content from each image\'s own lower layer', async () => {
    const link = { createdBy: 'RUN ln /a /b', entries: [hardlink('b', 'a')] };
    const ia = await buildImage([{ createdBy: 'ADD a', entries: [file('a', 'one')] }, link]);
    const ib = await buildImage([{ createdBy: 'ADD a', entries: [file('a', 'two')] }, link]);
    const [a, b] = await Promise.all([readMeta('a', ia), readMeta('b', ib)]);
    assert.equal(a.layers[1]!.diffId, b.layers[1]!.diffId, 'the link layer is shared');
    const [sa, sb] = await scanImages([{ meta: a, image: ia }, { meta: b, image: ib }]);
    assert.equal(sa![1], sb![1], 'and scanned once');
    const d = diffImages(a, sa!, b, sb!);
    assert.deepEqual(d.changes.map((c) => `${c.path} ${c.aspects.join(',')}`), ['/a content', '/b content']);
    assert.equal(diffImages(a, sa!, a, sa!).changes.length, 0);
  });

  it('an image against itself has no changes', async () => {
    const { a, sa } = await load();
    const d = diffImages(a, sa, a, sa, { mtime: true });
    assert.deepEqual(d.changes, []);
    assert.ok(d.alignment.every((r) => r.status === 'same'));
  });

  it('diffs two layers\' own entries, whiteouts included', async () => {
    const { a, b, sa, sb } = await load();
    const d = diffLayers(a, 1, sa[1]!, b, 1, sb[1]!);
    assert.deepEqual(d.changes.map((c) => `${c.kind} ${c.path} ${c.aspects.join(',')}`), [
      'changed /etc/config content', 'changed /etc/mode-only mode', 'changed /etc/owner-only owner', 'added /usr/bin/tool ']);
    assert.equal(d.summary.mtimeOnlyHidden, 1);
  });

  it('renders text and markdown grouped by step', async () => {
    const { a, b, sa, sb } = await load();
    const d = diffImages(a, sa, b, sb);
    const text = diffText(d);
    assert.match(text, /^A: app:v1 \([0-9a-f]{12}\)\nB: app:v2 \([0-9a-f]{12}\)\n/);
    assert.match(text, /\n {2}~ {3}1 ↔ 1 {3}rebuilt {4}RUN apt-get update/);
    assert.match(text, /Changes: 2 added, 2 removed, 7 changed \(1 mtime-only change hidden; --mtime shows them\)/);
    assert.match(text, /\nB \(app:v2\) layer 2, history #3: RUN echo extra # buildkit\n {2}~ \/bin\/sh {2}link \/usr\/bin\/tool → \/usr\/bin\/other\n/);
    assert.match(text, /\n {2}~ \/etc\/mode-only {2}mode 0600 → 0640\n/);
    assert.match(text, /\n {2}~ \/etc\/owner-only {2}owner 1000:1000 → 1001:1000\n/);
    assert.match(text, /\n {2}~ \/usr\/bin\/tool {2}xattrs \+security\.capability\n/);
    assert.match(text, /\nB \(app:v2\) layer 3, history #4: COPY app \/app # buildkit\n {2}~ \/app\/main {2}content 4\.00 kB [0-9a-f]{12} → 4\.00 kB [0-9a-f]{12}\n {2}\+ \/app\/new {2}file 3 B\n {2}- \/app\/tool-copy {2}file 5\.00 kB\n/);
    const md = diffMarkdown(d);
    assert.match(md, /^### Image diff\n/);
    assert.match(md, /\n\| ~ \| `\/etc\/config` \| content 1\.20 kB [0-9a-f]{12} → 1\.20 kB [0-9a-f]{12} \|\n/);
    assert.match(md, /<details><summary>Layers lined up/);
  });
});
