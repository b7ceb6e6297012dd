import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  openSnapshotter, SnapshotExistsError, SnapshotNotFoundError, SnapshotStateError, DriverUnavailableError, type Snapshotter,
} from '../src/index.js';
import { removeTestDir } from './support/cleanup.js';
import { readMounts } from '../src/mountinfo.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('snapshotter lifecycle', function () {
  let work: string;
  let root: string;
  let snap: Snapshotter;

  beforeEach(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'snaplife-'));
    root = path.join(work, 'root');
    snap = await openSnapshotter({ root });
  });
  afterEach(function () {
    removeTestDir(work);
  });

  async function layer(name: string, parent: string | undefined, files: Record<string, string>): Promise<void> {
    const m = await snap.prepare(`${name}-active`, parent);
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    const release = await m.mount(dir);
    for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
    await release();
    await snap.commit(name, `${name}-active`);
  }

  it('chooses the kernel overlay here and says why', async function () {
    assert.equal(snap.driverName, 'overlay');
    assert.match(snap.reason, /^overlay: a kernel overlay mount works under /);
  });

  it('honours a forced driver and refuses one that cannot work', async function () {
    const copy = await openSnapshotter({ root, driver: 'copy' });
    assert.equal(copy.driverName, 'copy');
    assert.match(copy.reason, /chosen by option/);
    await assert.rejects(openSnapshotter({ root, driver: 'unionfs', unionfsBinary: path.join(work, 'missing') }), DriverUnavailableError);
  });

  it('says why a unionfs daemon failed to mount', async function () {
    const fake = path.join(work, 'fake-unionfs');
    fs.writeFileSync(fake, '#!/bin/sh\necho "fake-unionfs: cannot mount: lowerdir missing" >&2\nexit 1\n', { mode: 0o755 });
    const u = await openSnapshotter({ root, driver: 'unionfs', unionfsBinary: fake });
    const m = await u.prepare('x');
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    await assert.rejects(m.mount(dir), /fake-unionfs exited before mounting .*: fake-unionfs: cannot mount: lowerdir missing$/);
  });

  it('stores layers as layers/<id>/diff with a short link under l/', async function () {
    await layer('base', undefined, { a: '1' });
    const info = await snap.stat('base');
    assert.equal(info.kind, 'committed');
    assert.equal(fs.readFileSync(path.join(root, 'layers', info.id, 'diff', 'a'), 'utf8'), '1');
    const links = fs.readdirSync(path.join(root, 'l'));
    assert.ok(links.some((l) => fs.realpathSync(path.join(root, 'l', l)) === fs.realpathSync(path.join(root, 'layers', info.id, 'diff'))));
    assert.ok(links.every((l) => l.length === 10));
    assert.ok(!fs.existsSync(path.join(root, 'layers', info.id, 'work')), 'work dir survives commit');
  });

  it('mounts a build step with overlay volatile and keeps lowers untouched', async function () {
    await layer('base', undefined, { a: 'lower' });
    const m = await snap.prepare('step', 'base');
    assert.equal(m.readonly, false);
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    const release = await m.mount(dir);
    const mnt = (await readMounts()).find((x) => x.mountPoint === dir);
    assert.equal(mnt?.fsType, 'overlay');
    const opts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(` ${dir} `)) ?? '';
    assert.match(opts, /volatile/);
    fs.writeFileSync(path.join(dir, 'a'), 'upper');
    await assert.rejects(snap.commit('x', 'step'), SnapshotStateError);
    await release();
    await release();
    await snap.commit('stepped', 'step');
    await assert.rejects(m.mount(dir), SnapshotStateError);
    const base = await snap.stat('base');
    assert.equal(fs.readFileSync(path.join(root, 'layers', base.id, 'diff', 'a'), 'utf8'), 'lower');
  });

  it('recreates a deleted short link when mounting', async function () {
    await layer('base', undefined, { a: 'still here' });
    for (const l of fs.readdirSync(path.join(root, 'l'))) fs.unlinkSync(path.join(root, 'l', l));
    const v = await snap.view('v', 'base');
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    const release = await v.mount(dir);
    try {
      assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'still here');
    } finally {
      await release();
    }
  });

  it('mounts an active snapshot again after release (the volatile work dir is reset)', async function () {
    await layer('base', undefined, { a: 'lower' });
    const m = await snap.prepare('step', 'base');
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    let release = await m.mount(dir);
    fs.writeFileSync(path.join(dir, 'first'), '1');
    await release();
    release = await (await snap.mounts('step')).mount(dir);
    assert.equal(fs.readFileSync(path.join(dir, 'first'), 'utf8'), '1');
    fs.writeFileSync(path.join(dir, 'second'), '2');
    await release();
    const got: string[] = [];
    for await (const e of snap.changes('step')) got.push(`${e.type} ${e.path}`);
    assert.deepEqual(got, ['file first', 'file second']);
  });

  it('views are read-only and show the parent', async function () {
    await layer('base', undefined, { a: 'one' });
    const v = await snap.view('v', 'base');
    assert.equal(v.readonly, true);
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    const release = await v.mount(dir);
    try {
      assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'one');
      assert.throws(() => fs.writeFileSync(path.join(dir, 'b'), 'x'), /EROFS|read-only/);
    } finally {
      await release();
    }
    await assert.rejects(snap.commit('nope', 'v'), SnapshotStateError);
    const empty = await snap.view('v0');
    const release0 = await empty.mount(dir);
    assert.deepEqual(fs.readdirSync(dir), []);
    await release0();
  });

  it('refuses duplicate keys, unknown parents and removing a parent in use', async function () {
    await layer('base', undefined, { a: '1' });
    await snap.prepare('k', 'base');
    await assert.rejects(snap.prepare('k', 'base'), SnapshotExistsError);
    await assert.rejects(snap.prepare('k2', 'nope'), SnapshotNotFoundError);
    await assert.rejects(snap.prepare('k3', 'k'), SnapshotStateError);
    await assert.rejects(snap.remove('base'), SnapshotStateError);
    await assert.rejects(snap.commit('base', 'k'), SnapshotExistsError);
    await snap.remove('k');
    await snap.remove('base');
    assert.deepEqual(await snap.list(), []);
    assert.deepEqual(fs.readdirSync(path.join(root, 'layers')), []);
    assert.deepEqual(fs.readdirSync(path.join(root, 'l')), []);
  });

  it('reports usage of the layer itself', async function () {
    await layer('base', undefined, { a: 'x'.repeat(1000), b: 'y'.repeat(24) });
    const u = await snap.usage('base');
    assert.equal(u.size, 1024);
    assert.equal(u.inodes, 3);
  });

  it('lists snapshots with kind and parent', async function () {
    await layer('base', undefined, { a: '1' });
    await snap.prepare('act', 'base');
    await snap.view('vw', 'base');
    const list = await snap.list();
    assert.deepEqual(list.map((i) => [i.key, i.kind, i.parent ?? '-']), [['act', 'active', 'base'], ['base', 'committed', '-'], ['vw', 'view', 'base']]);
  });

  it('ignores what a crash leaves behind: temp records and an active twin of a committed layer', async function () {
    await layer('base', undefined, { a: '1' });
    const snaps = path.join(root, 'snapshots');
    fs.writeFileSync(path.join(snaps, '.tmp-garbage.json-1234'), '{"half":');
    const rec = JSON.parse(fs.readFileSync(path.join(snaps, fs.readdirSync(snaps).find((n) => !n.startsWith('.'))!), 'utf8'));
    fs.writeFileSync(path.join(snaps, 'twin.json'), JSON.stringify({ ...rec, key: 'base-active', kind: 'active' }));
    assert.deepEqual((await snap.list()).map((i) => i.key), ['base']);
  });

  it('cleans up what a killed process left, but only once it is old', async function () {
    await layer('base', undefined, { a: '1' });
    const orphan = path.join(root, 'layers', 'deadbeef');
    fs.mkdirSync(path.join(orphan, 'diff'), { recursive: true });
    fs.symlinkSync('../layers/nothing/diff', path.join(root, 'l', 'ZZZZZZZZZZ'));
    fs.writeFileSync(path.join(root, 'tmp', 'half-written'), 'x');
    assert.deepEqual(await snap.cleanup(60_000), { layers: 0, links: 0, temps: 0, abandoned: 0 });
    const old = new Date(Date.now() - 3_600_000);
    // A step whose process was killed an hour ago; and one of this live process, which stays.
    await snap.prepare('killed-step', 'base');
    await snap.prepare('mine', 'base');
    const dead = await promisify(execFile)(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const snaps = path.join(root, 'snapshots');
    for (const n of fs.readdirSync(snaps).filter((f) => f.endsWith('.json'))) {
      const rec = JSON.parse(fs.readFileSync(path.join(snaps, n), 'utf8'));
      if (rec.key === 'killed-step') fs.writeFileSync(path.join(snaps, n), JSON.stringify({ ...rec, pid: Number(dead.stdout), created: old.toISOString() }));
      if (rec.key === 'mine') fs.writeFileSync(path.join(snaps, n), JSON.stringify({ ...rec, created: old.toISOString() }));
    }
    fs.utimesSync(orphan, old, old);
    fs.lutimesSync(path.join(root, 'l', 'ZZZZZZZZZZ'), old, old);
    fs.utimesSync(path.join(root, 'tmp', 'half-written'), old, old);
    // An old mount target under tmp/ that is still mounted (a long RUN step) is left alone.
    await snap.view('long-run', 'base');
    const busy = path.join(root, 'tmp', 'step-busy');
    fs.mkdirSync(busy);
    fs.utimesSync(busy, old, old);
    const releaseBusy = await (await snap.mounts('long-run')).mount(busy);
    assert.deepEqual(await snap.cleanup(60_000), { layers: 1, links: 1, temps: 1, abandoned: 1 });
    assert.deepEqual((await snap.list()).map((i) => i.key), ['base', 'long-run', 'mine']);
    assert.equal(fs.readFileSync(path.join(busy, 'a'), 'utf8'), '1');
    await releaseBusy();
    await snap.remove('long-run');
    await snap.remove('mine');
    assert.ok(!fs.existsSync(orphan));
    const info = await snap.stat('base');
    assert.ok(fs.existsSync(path.join(root, 'layers', info.id, 'diff', 'a')));
    assert.equal(fs.readdirSync(path.join(root, 'l')).length, 1);
  });

  it('shares layers between drivers on one root', async function () {
    await layer('base', undefined, { a: 'from overlay' });
    const copy = await openSnapshotter({ root, driver: 'copy' });
    const m = await copy.prepare('c', 'base');
    assert.equal(fs.readFileSync(path.join(m.path!, 'a'), 'utf8'), 'from overlay');
    fs.writeFileSync(path.join(m.path!, 'b'), 'from copy');
    fs.unlinkSync(path.join(m.path!, 'a'));
    await copy.commit('copied', 'c');
    const v = await snap.view('v', 'copied');
    const dir = fs.mkdtempSync(path.join(work, 'm-'));
    const release = await v.mount(dir);
    try {
      assert.deepEqual(fs.readdirSync(dir), ['b']);
    } finally {
      await release();
    }
  });

  it('lets several processes share one root', async function () {
    await layer('base', undefined, { a: '1' });
    const worker = path.join(here, 'support', 'race-worker.js');
    const runs = await Promise.all(['p1', 'p2', 'p3'].map((tag) => promisify(execFile)(process.execPath, [worker, root, tag, '5'])));
    const results = runs.map((r) => JSON.parse(r.stdout) as { tag: string; won: boolean });
    assert.equal(results.filter((r) => r.won).length, 1, `exactly one process gets the contested key: ${JSON.stringify(results)}`);
    const list = await snap.list();
    assert.equal(list.filter((i) => i.kind === 'committed').length, 16);
    assert.equal(new Set(list.map((i) => i.id)).size, list.length);
    assert.equal((await snap.stat('p2-c4')).parent, 'p2-c3');
  });
});
