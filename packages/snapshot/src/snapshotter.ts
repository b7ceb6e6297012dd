import fs from 'node:fs/promises';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { unionfsBinary as defaultUnionfs } from '@strata/native-overlay';
import { defaultStateRoot, writeLayerTar, type LayerEntry } from '@strata/oci';
import { applyLayer, applyLayerTar } from './apply-layer.js';
import { applyEntries, type ApplyEntry } from './apply-entries.js';
import { toEntries } from './change-set.js';
import { materialize } from './copy-tree.js';
import { SnapshotExistsError, SnapshotNotFoundError, SnapshotStateError } from './errors.js';
import { Layout } from './layout.js';
import { withLock } from './lock.js';
import { defaultLimits, dropFlattened, type ChainLayer, type LowerLimits } from './lower-chain.js';
import { MetaStore, type SnapshotRecord } from './metadata.js';
import { Mounter } from './mounter.js';
import { cleanupOrphans, type CleanupResult } from './cleanup.js';
import { collectTreeChanges, diffTrees } from './naive-differ.js';
import { chooseDriver, type DriverChoice } from './probe.js';
import { createShortLink } from './short-link.js';
import { sys } from './sys.js';
import { treeUsage } from './tree-usage.js';
import { diffUpper } from './upper-differ.js';
import type { DriverName, Mountable, SnapshotInfo, Snapshotter, Usage } from './types.js';

/** Options of openSnapshotter. */
export interface SnapshotterOptions {
  /** State root; default defaultStateRoot() from @strata/oci. */
  root?: string;
  /** Force a driver; default 'auto' probes overlay → unionfs → copy. */
  driver?: DriverName | 'auto';
  /** The unionfs binary (fuse-overlayfs command line); default native-overlay's strata-unionfs. */
  unionfsBinary?: string;
  /** Override the mount limits (tests use small ones to exercise flattening). */
  lowerLimits?: Partial<LowerLimits>;
}

/** Opens the snapshot store under a state root, choosing the driver by probing unless forced. */
export async function openSnapshotter(opts: SnapshotterOptions = {}): Promise<Snapshotter> {
  const layout = new Layout(path.resolve(opts.root ?? defaultStateRoot()));
  for (const d of [layout.layers, layout.links, layout.snapshots, layout.tmp]) await fs.mkdir(d, { recursive: true });
  const choice = await chooseDriver(layout.root, opts);
  const limits = { ...defaultLimits(layout), ...opts.lowerLimits };
  return new LayerSnapshotter(layout, choice, new Mounter(layout, limits, opts.unionfsBinary ?? defaultUnionfs()));
}

/** Every driver stores committed layers the same way (overlay-format diff dirs), so one class serves all three. */
class LayerSnapshotter implements Snapshotter {
  readonly driverName: DriverName;
  readonly reason: string;
  private readonly meta: MetaStore;

  constructor(private readonly layout: Layout, choice: DriverChoice, private readonly mounter: Mounter) {
    this.driverName = choice.name;
    this.reason = choice.reason;
    this.meta = new MetaStore(layout.snapshots);
  }

  private async record(key: string): Promise<SnapshotRecord> {
    const rec = await this.meta.get(key);
    if (!rec) throw new SnapshotNotFoundError(`snapshot ${JSON.stringify(key)} not found under ${this.layout.root}`);
    return rec;
  }

  /** The committed chain from `name` down, top first. */
  private async chain(name: string | undefined): Promise<ChainLayer[]> {
    const out: ChainLayer[] = [];
    for (let n = name; n !== undefined;) {
      const rec = await this.record(n);
      out.push({ id: rec.id, short: rec.short });
      n = rec.parent;
    }
    return out;
  }

  private chainDiffs(chain: ChainLayer[]): string[] {
    return chain.map((l) => this.layout.diff(l.id));
  }

  private async create(kind: 'active' | 'view', key: string, parent?: string): Promise<Mountable> {
    if (await this.meta.get(key)) throw new SnapshotExistsError(`snapshot ${JSON.stringify(key)} already exists`);
    if (parent !== undefined && (await this.record(parent)).kind !== 'committed') {
      throw new SnapshotStateError(`parent ${JSON.stringify(parent)} of ${JSON.stringify(key)} is not committed`);
    }
    const id = randomBytes(13).toString('hex');
    const { layout } = this;
    // Sync: a handful of metadata calls per build step, cheaper than thread-pool round trips.
    mkdirSync(layout.diff(id), { recursive: true });
    mkdirSync(layout.work(id));
    const short = createShortLink(layout.links, layout.diff(id));
    const rec: SnapshotRecord = { version: 1, key, kind, id, short, driver: this.driverName, created: new Date().toISOString(), pid: process.pid };
    if (parent !== undefined) rec.parent = parent;
    try {
      if (this.driverName === 'copy') {
        await fs.mkdir(layout.fs(id));
        await materialize(this.chainDiffs(await this.chain(parent)), layout.fs(id));
        const marker = path.join(layout.layer(id), 'copied');
        await fs.writeFile(marker, '');
        rec.copiedAtNs = (await fs.lstat(marker, { bigint: true })).ctimeNs.toString();
      }
      await withLock(layout.lock, async () => {
        if (parent !== undefined && !(await this.meta.get(parent))) throw new SnapshotNotFoundError(`parent ${JSON.stringify(parent)} was removed`);
        await this.meta.create(rec);
      });
    } catch (e) {
      await this.discard(rec);
      throw e;
    }
    return this.mountable(rec);
  }

  private mountable(rec: SnapshotRecord): Mountable {
    const m: Mountable = {
      key: rec.key,
      readonly: rec.kind !== 'active',
      driver: rec.driver,
      mount: async (target: string) => {
        // A Mountable kept past commit or remove must not mount what is now an immutable layer as an upper.
        const cur = await this.meta.get(rec.key);
        if (!cur || cur.id !== rec.id) throw new SnapshotStateError(`snapshot ${JSON.stringify(rec.key)} was committed or removed; it cannot be mounted`);
        return this.mounter.mount(rec, await this.chain(rec.parent), target);
      },
    };
    if (rec.driver === 'copy') return { ...m, path: this.layout.fs(rec.id), ...(rec.kind === 'active' ? { upper: this.layout.fs(rec.id) } : {}) };
    return rec.driver === 'overlay' && rec.kind === 'active' ? { ...m, upper: this.layout.diff(rec.id) } : m;
  }

  prepare(key: string, parent?: string): Promise<Mountable> {
    return this.create('active', key, parent);
  }

  view(key: string, parent?: string): Promise<Mountable> {
    return this.create('view', key, parent);
  }

  async mounts(key: string): Promise<Mountable> {
    const rec = await this.record(key);
    if (rec.kind === 'committed') throw new SnapshotStateError(`snapshot ${JSON.stringify(key)} is committed; view it to mount it`);
    return this.mountable(rec);
  }

  private async activeUnmounted(key: string, what: string): Promise<SnapshotRecord> {
    const rec = await this.record(key);
    if (rec.kind !== 'active') throw new SnapshotStateError(`cannot ${what} ${rec.kind} snapshot ${JSON.stringify(key)}`);
    if (this.mounter.mountCount(key) > 0) throw new SnapshotStateError(`cannot ${what} snapshot ${JSON.stringify(key)} while it is mounted`);
    return rec;
  }

  async commit(name: string, key: string): Promise<void> {
    const rec = await this.activeUnmounted(key, 'commit');
    if (await this.meta.get(name)) throw new SnapshotExistsError(`snapshot ${JSON.stringify(name)} already exists`);
    const { layout } = this;
    if (rec.driver === 'copy') {
      const changes = await collectTreeChanges(this.chainDiffs(await this.chain(rec.parent)), layout.fs(rec.id), copiedAt(rec));
      const sources = new Map(changes.map((c) => [c.path, c.kind === 'object' ? c.abs : undefined]));
      async function* withSources(): AsyncGenerator<ApplyEntry> {
        for await (const e of toEntries(changes)) yield e.type === 'file' ? { ...e, sourcePath: sources.get(e.path) } : e;
      }
      await fs.rm(layout.diff(rec.id), { recursive: true, force: true });
      await fs.mkdir(layout.diff(rec.id));
      await applyEntries(withSources(), layout.diff(rec.id), 'layer');
    }
    // A volatile overlay upper becomes durable here, once, instead of on every copy-up.
    sys().syncfs(layout.diff(rec.id));
    await withLock(layout.lock, async () => {
      const { copiedAtNs: _c, pid: _p, ...rest } = rec;
      await this.meta.replace({ ...rest, key: name, kind: 'committed' }, key);
    });
    rmSync(layout.work(rec.id), { recursive: true, force: true });
    if (rec.driver === 'copy') await fs.rm(layout.fs(rec.id), { recursive: true, force: true });
  }

  async remove(key: string): Promise<void> {
    const rec = await withLock(this.layout.lock, async () => {
      const r = await this.record(key);
      if (this.mounter.mountCount(key) > 0) throw new SnapshotStateError(`cannot remove snapshot ${JSON.stringify(key)} while it is mounted`);
      if (r.kind === 'committed') {
        const child = (await this.meta.list()).find((c) => c.parent === key);
        if (child) throw new SnapshotStateError(`cannot remove ${JSON.stringify(key)}: snapshot ${JSON.stringify(child.key)} is built on it`);
      }
      await this.meta.delete(key);
      return r;
    });
    await this.discard(rec);
    if (rec.kind === 'committed') await dropFlattened(this.layout, rec.id);
  }

  /** Deletes a layer dir and its short link; renamed into tmp/ first so a crash never leaves half a layer in place. */
  private async discard(rec: SnapshotRecord): Promise<void> {
    await fs.rm(this.layout.link(rec.short), { force: true });
    const trash = path.join(this.layout.tmp, `trash-${rec.id}`);
    await fs.rename(this.layout.layer(rec.id), trash).catch(() => undefined);
    await fs.rm(trash, { recursive: true, force: true });
  }

  async cleanup(graceMs = 3_600_000): Promise<CleanupResult> {
    // Active snapshots and views of processes that died are never trusted (a volatile upper may be torn): drop them.
    let abandoned = 0;
    for (const r of await this.meta.list()) {
      if (r.kind === 'committed' || !isAbandoned(r, graceMs)) continue;
      await this.remove(r.key).catch(() => undefined);
      abandoned++;
    }
    const result = await withLock(this.layout.lock, async () => {
      const live = new Set((await this.meta.list()).map((r) => r.id));
      return cleanupOrphans(this.layout, live, graceMs);
    });
    return { ...result, abandoned };
  }

  async usage(key: string): Promise<Usage> {
    const rec = await this.record(key);
    return treeUsage([this.layout.diff(rec.id), this.layout.fs(rec.id)]);
  }

  async stat(key: string): Promise<SnapshotInfo> {
    return info(await this.record(key));
  }

  async list(): Promise<SnapshotInfo[]> {
    return (await this.meta.list()).map(info).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async *changes(key: string): AsyncGenerator<LayerEntry> {
    const rec = await this.record(key);
    if (rec.kind === 'view') throw new SnapshotStateError(`view ${JSON.stringify(key)} has no changes`);
    if (rec.driver === 'copy' && rec.kind === 'active') {
      yield* diffTrees(this.chainDiffs(await this.chain(rec.parent)), this.layout.fs(rec.id), copiedAt(rec));
    } else {
      yield* diffUpper(this.layout.diff(rec.id));
    }
  }

  async diff(key: string): Promise<Readable> {
    await this.record(key);
    return writeLayerTar(this.changes(key));
  }

  async apply(key: string, tar: Readable): Promise<void> {
    const rec = await this.activeUnmounted(key, 'apply a layer to');
    await applyLayerTar(tar, this.applyDir(rec), whiteoutMode(rec), `layer for snapshot ${key}`);
  }

  async applyEntries(key: string, entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>): Promise<void> {
    const rec = await this.activeUnmounted(key, 'apply a layer to');
    await applyLayer(entries, this.applyDir(rec), whiteoutMode(rec), `layer for snapshot ${key}`);
  }

  /** The copy driver applies onto its full tree; union drivers write the layer dir itself. */
  private applyDir(rec: SnapshotRecord): string {
    return rec.driver === 'copy' ? this.layout.fs(rec.id) : this.layout.diff(rec.id);
  }
}

function whiteoutMode(rec: SnapshotRecord): 'apply' | 'overlay' {
  return rec.driver === 'copy' ? 'apply' : 'overlay';
}

/** An active snapshot or view older than graceMs whose creating process is gone. */
function isAbandoned(rec: SnapshotRecord, graceMs: number): boolean {
  if (rec.pid === undefined || Date.now() - Date.parse(rec.created) < graceMs) return false;
  try {
    process.kill(rec.pid, 0);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ESRCH';
  }
}

function copiedAt(rec: SnapshotRecord): { copiedAtNs?: bigint } {
  return rec.copiedAtNs ? { copiedAtNs: BigInt(rec.copiedAtNs) } : {};
}

function info(rec: SnapshotRecord): SnapshotInfo {
  const out: SnapshotInfo = { key: rec.key, kind: rec.kind, id: rec.id, driver: rec.driver, created: rec.created };
  if (rec.parent !== undefined) out.parent = rec.parent;
  return out;
}
