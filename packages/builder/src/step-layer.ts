import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { LayerWorker, layerTarSegments, storeLayerSegments, storeLayerTar, writeLayerTar, type BlobSource, type Compression, type ContentStore, type LayerEntry } from '@strata/oci';
import { SnapshotExistsError, type Snapshotter } from '@strata/snapshot';
import type { LayerChain, LayerRef } from '@strata/cache';
import { ensureChain, snapshotNameOf, storedLayers } from './layer-chain.js';
import { scratchName } from './stale.js';

/** What every filesystem step needs: the state root, its snapshotter and content store, and build-wide settings. */
export interface StepServices {
  root: string;
  /** The time new steps are stamped with (SOURCE_DATE_EPOCH when given). */
  now(): string;
  snap: Snapshotter;
  cs: ContentStore;
  /** Where layer blobs are read from: the content store, fetching remote cache hits on first read. */
  blobs?: BlobSource;
  /** SOURCE_DATE_EPOCH in nanoseconds: mtimes in new layers are clamped to it. */
  epochNs?: bigint;
  /**
   * How new layers are stored. Default none, as Docker's own image store keeps them: compression is the
   * slowest part of writing a layer, and it happens once, on push (withCompressedLayers), instead.
   */
  compression?: Compression;
}

/** The result of one filesystem step. */
export interface StepOutcome {
  state: LayerChain;
  emptyLayer: boolean;
}

/** Mounts a read-only view of a chain for the duration of `use` (COPY --from, RUN --mount from=). */
export async function withChainView<T>(svc: StepServices, chain: LayerChain | null, use: (rootfs: string) => Promise<T>): Promise<T> {
  const parent = await ensureChain(svc.snap, storedLayers(svc.blobs ?? svc.cs, chain?.layers ?? []));
  const key = `${scratchName('view')}${randomBytes(8).toString('hex')}`;
  const m = await svc.snap.view(key, parent);
  const target = await scratchDir(svc.root, 'view');
  const release = await m.mount(target);
  try {
    return await use(target);
  } finally {
    await release();
    rmdirSync(target);
    await svc.snap.remove(key);
  }
}

/** The snapshot's upper dir (Mountable.upper) as deferred work sees it. */
export interface UpperDir {
  /** Its host path: what was the mount's root. */
  dir: string;
  /**
   * Records what a file below `dir` was just written with, so the layer writer takes the content from
   * memory instead of reading the file back (up to KEEP_MAX bytes in all; later ones are read back).
   */
  remember(abs: string, data: Buffer): void;
  /** Says a file of this size is being written: a big one starts the layer writer's thread meanwhile. */
  coming(size: number): void;
}

/**
 * Work a step leaves for after the unmount, on the snapshot's upper dir. Only for a directory the mount
 * created itself, and only as the step's last change to that directory's subtree (it runs after the rest).
 */
export type UpperWork = (upper: UpperDir) => Promise<void>;

/**
 * Files from this size up are left to storeLayerSegments' worker thread: its start (50–100 ms here) costs more
 * than hashing a smaller file on this thread.
 */
const BIG_FILE = 32 << 20;

/**
 * Files from this size up are read by the blob's writer (FileRef) into reused buffers; smaller ones in one
 * read each by the tar's maker.
 */
const REF_FILE = 1 << 20;

/** How much remembered content a step holds for its layer writer. */
const KEEP_MAX = 64 * 1024 * 1024;

/** Hands UpperWork to layerStep; undefined when the snapshot has no upper dir to write (unionfs). */
export type DeferToUpper = ((work: UpperWork) => void) | undefined;

/**
 * Runs `work` on a writable root filesystem over `parent`, then turns what it changed into a new layer: the
 * change set (sorted, whiteouts as kinds) becomes a deterministic tar, compressed into the content store in the
 * same pass, and the snapshot is committed under the new chain's name for later steps. No change → empty layer.
 * What `work` defers runs on the upper dir after the unmount, in the order deferred.
 */
export async function layerStep(svc: StepServices, parent: LayerChain | null, work: (rootfs: string, defer: DeferToUpper) => Promise<void>): Promise<StepOutcome> {
  const parentLayers = parent?.layers ?? [];
  const parentName = await ensureChain(svc.snap, storedLayers(svc.blobs ?? svc.cs, parentLayers));
  const key = `${scratchName('step')}${randomBytes(8).toString('hex')}`;
  const m = await svc.snap.prepare(key, parentName);
  let committed = false;
  let writer: LayerWorker | undefined;
  try {
    const target = await scratchDir(svc.root, 'step');
    const release = await m.mount(target);
    const deferred: UpperWork[] = [];
    try {
      await work(target, m.upper === undefined ? undefined : (w) => deferred.push(w));
    } finally {
      await release();
      rmdirSync(target);
    }
    const kept = new Map<string, Buffer>();
    let keptBytes = 0;
    const upper: UpperDir = {
      dir: m.upper!,
      remember(abs, data) {
        if (keptBytes + data.length > KEEP_MAX) return;
        keptBytes += data.length;
        // Paths below the upper dir, as the copy made them: the relative part without path.relative's resolving.
        kept.set(abs.startsWith(`${upper.dir}/`) ? abs.slice(upper.dir.length + 1) : path.relative(upper.dir, abs), data);
      },
      coming(size) {
        if (size >= BIG_FILE && (svc.compression ?? 'none') === 'none') writer ??= new LayerWorker(svc.cs);
      },
    };
    for (const w of deferred) await w(upper);
    const entries = await peek(clamp(withKept(svc.snap.changes(key), kept), svc.epochNs));
    if (entries === undefined) return { state: { layers: parentLayers, created: svc.now() }, emptyLayer: true };
    // Uncompressed, files from BIG_FILE up are read, hashed and written on a worker thread meanwhile.
    const compression = svc.compression ?? 'none';
    const stored = compression === 'none'
      ? await storeLayerSegments(svc.cs, layerTarSegments(entries, REF_FILE), writer, BIG_FILE)
      : await storeLayerTar(svc.cs, writeLayerTar(entries), compression);
    const ref: LayerRef = { ...stored.descriptor, diffId: stored.diffId };
    const layers = [...parentLayers, ref];
    try {
      await svc.snap.commit(snapshotNameOf(layers.map((l) => l.diffId))!, key);
      committed = true;
    } catch (e) {
      // The same layer was committed by a concurrent step: the existing snapshot has the same content.
      if (!(e instanceof SnapshotExistsError)) throw e;
    }
    return { state: { layers, created: svc.now() }, emptyLayer: false };
  } finally {
    // A writer thread started for a layer that was not written (a failed copy, no change) stops here.
    await writer?.dispose();
    if (!committed) await svc.snap.remove(key).catch(() => {});
  }
}

/** A fresh directory under <root>/tmp named for its kind and this process (see stale.ts). */
export async function scratchDir(root: string, kind: string): Promise<string> {
  const tmp = path.join(root, 'tmp');
  // Sync: two metadata calls per step, cheaper than thread-pool round trips.
  mkdirSync(tmp, { recursive: true });
  return mkdtempSync(path.join(tmp, scratchName(kind)));
}

/**
 * Entries whose content deferred work remembered get it as `data`. Only this step wrote the upper dir since,
 * so the bytes are the file's; the size is checked all the same.
 */
async function* withKept(entries: AsyncIterable<LayerEntry>, kept: Map<string, Buffer>): AsyncIterable<LayerEntry> {
  if (kept.size === 0) return yield* entries;
  for await (const e of entries) {
    const data = e.type === 'file' ? kept.get(e.path) : undefined;
    if (data !== undefined && data.length === e.size) e.data = data;
    yield e;
  }
}

async function* clamp(entries: AsyncIterable<LayerEntry>, epochNs: bigint | undefined): AsyncIterable<LayerEntry> {
  for await (const e of entries) yield epochNs !== undefined && e.mtimeNs > epochNs ? { ...e, mtimeNs: epochNs } : e;
}

/** Undefined when `it` is empty, else an iterable that yields everything it holds (the first item included). */
async function peek<T>(it: AsyncIterable<T>): Promise<AsyncIterable<T> | undefined> {
  const iter = it[Symbol.asyncIterator]();
  const first = await iter.next();
  if (first.done) return undefined;
  return (async function* () {
    yield first.value;
    for (let r = await iter.next(); !r.done; r = await iter.next()) yield r.value;
  })();
}
