import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { comparePaths, type LayerEntry } from '@strata/oci';
import { applyLayerTar, openSnapshotter, materialize, type DriverName, type Snapshotter } from '../../src/index.js';
import { removeTestDir } from '../support/cleanup.js';
import { describeTree, treeDifferences, type TreeDesc } from './tree-snapshot.js';
import { populateLower1, populateLower2 } from './lowers.js';
import { scenarios, type Expectation } from './scenarios.js';

/** How to run the suite against one driver. */
export interface SuiteTarget {
  title: string;
  driver: DriverName;
  unionfsBinary?: string;
  /** Scenario name → paths this implementation may add to the change set beyond the minimal one. */
  tolerates?: Record<string, string[]>;
}

/** Mounts a snapshot on a fresh dir, runs fn on it, always unmounts. */
async function withMount<T>(snap: Snapshotter, key: string, work: string, fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(work, 'mnt-'));
  const release = await (await snap.mounts(key)).mount(dir);
  try {
    return await fn(dir);
  } finally {
    await release();
    fs.rmdirSync(dir);
  }
}

/** Builds a committed layer by mounting and writing through the driver itself. */
async function buildLayer(snap: Snapshotter, name: string, parent: string | undefined, work: string, fill: (root: string) => void): Promise<void> {
  await snap.prepare(`${name}-active`, parent);
  await withMount(snap, `${name}-active`, work, fill);
  await snap.commit(name, `${name}-active`);
}

/** The change set must hold the expected entries, delete what it must, and nothing unrelated. */
export function checkChangeSet(entries: LayerEntry[], exp: Expectation, tolerated: string[] = []): void {
  const objects = new Map(entries.filter((e) => e.type !== 'whiteout' && e.type !== 'opaque').map((e) => [e.path, e.type]));
  const whiteouts = new Set(entries.filter((e) => e.type === 'whiteout').map((e) => e.path));
  const opaque = new Set(entries.filter((e) => e.type === 'opaque').map((e) => e.path));
  const paths = entries.map((e) => e.path);
  assert.deepEqual(paths, [...paths].sort(comparePaths), 'entries are not in the tar writer\'s order');
  for (const [p, t] of Object.entries(exp.changed)) assert.equal(objects.get(p), t, `${p} should be a ${t} entry; entries: ${paths.join(' ')}`);
  const underOpaque = (p: string) => [...opaque].some((o) => p.startsWith(`${o}/`));
  for (const w of exp.whiteouts ?? []) assert.ok(whiteouts.has(w) || underOpaque(w), `${w} is neither whited out nor under an opaque dir`);
  for (const u of exp.unchanged ?? []) assert.ok(tolerated.includes(u) || !paths.includes(u), `${u} is unchanged but in the change set`);
  const needed = [...Object.keys(exp.changed), ...(exp.whiteouts ?? [])];
  const allowed = (p: string) => tolerated.includes(p) || needed.includes(p) || needed.some((n) => n.startsWith(`${p}/`)) ||
    (exp.subtrees ?? []).some((s) => p === s || p.startsWith(`${s}/`)) || underOpaque(p);
  for (const p of paths) assert.ok(allowed(p), `${p} is in the change set but nothing changed there`);
  for (const p of paths) {
    const parent = path.posix.dirname(p);
    if (parent !== '.') assert.equal(objects.get(parent), 'dir', `${p} comes without its parent dir`);
  }
}

/** Registers the whole suite for one driver (mocha describe/it). */
export function conformanceSuite(target: SuiteTarget): void {
  describe(`snapshot conformance: ${target.title}`, function () {
    let work: string;
    let snap: Snapshotter;

    before(async function () {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapconf-'));
      // A tmpfs of its own: the suite measures semantics, not the shared root disk, and stays fast under load.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1g,mode=0700', 'strata-conformance', work]);
      snap = await openSnapshotter({ root: path.join(work, 'root'), driver: target.driver, unionfsBinary: target.unionfsBinary });
      assert.equal(snap.driverName, target.driver);
      await buildLayer(snap, 'lower1', undefined, work, populateLower1);
      await buildLayer(snap, 'lower2', 'lower1', work, populateLower2);
    });

    after(function () {
      if (work) removeTestDir(work);
    });

    for (const sc of scenarios) {
      it(sc.name, async function () {
        const key = `s:${sc.name}`;
        await snap.prepare(key, 'lower2');
        const merged: TreeDesc = await withMount(snap, key, work, (root) => {
          sc.run(root);
          sc.check(root);
          return describeTree(root);
        });
        const entries: LayerEntry[] = [];
        for await (const e of snap.changes(key)) entries.push(e);
        checkChangeSet(entries, sc.expect, target.tolerates?.[sc.name]);
        const tar = await buffer(await snap.diff(key));
        assert.ok(tar.equals(await buffer(await snap.diff(key))), 'the same snapshot gave two different tars');
        await snap.commit(`c:${sc.name}`, key);
        assert.ok(tar.equals(await buffer(await snap.diff(`c:${sc.name}`))), 'the committed layer diffs differently from the active snapshot');

        // The committed snapshot, mounted again, is the merged view.
        await snap.view(`v:${sc.name}`, `c:${sc.name}`);
        const committed = await withMount(snap, `v:${sc.name}`, work, describeTree);
        assert.deepEqual(treeDifferences(merged, committed), [], 'committed view differs from the merged view');

        // The tar applied as a new layer over the same lowers gives the merged view again.
        await snap.prepare(`a:${sc.name}`, 'lower2');
        await snap.apply(`a:${sc.name}`, Readable.from(tar));
        await snap.commit(`ac:${sc.name}`, `a:${sc.name}`);
        await snap.view(`av:${sc.name}`, `ac:${sc.name}`);
        const applied = await withMount(snap, `av:${sc.name}`, work, describeTree);
        assert.deepEqual(treeDifferences(merged, applied), [], 'applied layer differs from the merged view');

        // And applied onto a flat copy of the lowers (whiteouts deleting), as export and flatten do.
        const flat = fs.mkdtempSync(path.join(work, 'flat-'));
        const lowers = (await Promise.all(['lower2', 'lower1'].map((n) => snap.stat(n)))).map((i) => path.join(work, 'root', 'layers', i.id, 'diff'));
        await materialize(lowers, flat);
        await applyLayerTar(Readable.from(tar), flat, 'apply');
        assert.deepEqual(treeDifferences(merged, describeTree(flat)), [], 'flat application differs from the merged view');
        fs.rmSync(flat, { recursive: true, force: true });

        for (const k of [`v:${sc.name}`, `av:${sc.name}`, `ac:${sc.name}`, `c:${sc.name}`]) await snap.remove(k);
      });
    }
  });
}
