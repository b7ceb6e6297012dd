import { createHash, randomBytes } from 'node:crypto';
import type { BlobSource, Digest, Layer } from '@strata/oci';
import { StoreLayer } from '@strata/oci';
import { SnapshotExistsError, type Snapshotter } from '@strata/snapshot';
import type { LayerRef } from '@strata/cache';
import { scratchName } from './stale.js';

/** The OCI chain id of a list of diff ids: each layer's id folds in everything below it. */
export function chainIdOf(diffIds: readonly string[]): Digest | undefined {
  let chain: string | undefined;
  for (const d of diffIds) chain = nextChainId(chain, d);
  return chain as Digest | undefined;
}

/** The chain id of a chain with id `below` plus one layer on top (below undefined: the bottom layer). */
function nextChainId(below: string | undefined, diffId: string): string {
  return below === undefined ? diffId : `sha256:${createHash('sha256').update(`${below} ${diffId}`).digest('hex')}`;
}

/** The committed snapshot that holds a layer chain's merged tree (shared by builds and `strata run`). */
export function snapshotNameOf(diffIds: readonly string[]): string | undefined {
  const chain = chainIdOf(diffIds);
  return chain === undefined ? undefined : `chain-${chain.slice(7)}`;
}

/**
 * Makes sure the committed snapshot of every prefix of `layers` exists, unpacking only the missing ones;
 * returns the top snapshot name (undefined: empty chain). Concurrent builders unpacking the same layer both
 * succeed: the loser drops its copy and uses the winner's.
 */
export async function ensureChain(snap: Snapshotter, layers: readonly Layer[]): Promise<string | undefined> {
  const names: string[] = [];
  let chain: string | undefined;
  for (const layer of layers) {
    chain = nextChainId(chain, await layer.diffId());
    names.push(`chain-${chain.slice(7)}`);
  }
  // Probe from the top: a committed snapshot is never removed while one is built on it, so the first one
  // found has every prefix below it — one stat per step instead of one per layer of the chain.
  let have = names.length;
  while (have > 0 && !(await snap.stat(names[have - 1]!).then(() => true, () => false))) have--;
  for (let i = have; i < layers.length; i++) await unpackOnce(snap, names[i]!, i === 0 ? undefined : names[i - 1], layers[i]!);
  return names.at(-1);
}

/** Unpacks in progress in this process, per snapshotter and snapshot name. */
const unpacking = new WeakMap<Snapshotter, Map<string, Promise<void>>>();

/**
 * Unpacks `layer` on `parent` as snapshot `name`. Parallel stages of one build on the same base wait for
 * the first one's unpack instead of each unpacking it and dropping all copies but one.
 */
function unpackOnce(snap: Snapshotter, name: string, parent: string | undefined, layer: Layer): Promise<void> {
  let mine = unpacking.get(snap);
  if (!mine) unpacking.set(snap, (mine = new Map()));
  const running = mine.get(name);
  if (running) return running;
  const p = unpack(snap, name, parent, layer).finally(() => mine.delete(name));
  mine.set(name, p);
  return p;
}

async function unpack(snap: Snapshotter, name: string, parent: string | undefined, layer: Layer): Promise<void> {
  const key = `${scratchName('unpack')}${randomBytes(8).toString('hex')}`;
  await snap.prepare(key, parent);
  try {
    await snap.apply(key, await layer.uncompressed());
    await snap.commit(name, key);
  } catch (e) {
    await snap.remove(key).catch(() => {});
    if (!(e instanceof SnapshotExistsError)) throw e;
  }
}

/** Layers for layer refs whose blobs are in the content store (read lazily). */
export function storedLayers(cs: BlobSource, refs: readonly LayerRef[]): Layer[] {
  return refs.map((r) => new StoreLayer(cs, { mediaType: r.mediaType, digest: r.digest, size: r.size }, r.diffId));
}
