import { createHash, randomBytes } from 'node:crypto';
import type { BlobSource, Digest, Layer } from '@strata/oci';
import { StoreLayer } from '@strata/oci';
import { SnapshotExistsError, type Snapshotter } from '@strata/snapshot';
import type { LayerRef } from '@strata/cache';
import { scratchName } from './stale.js';

/** The OCI chain id of a list of diff ids: each layer's id folds in everything below it. */
export function chainIdOf(diffIds: readonly string[]): Digest | undefined {
  let chain: string | undefined;
  for (const d of diffIds) chain = chain === undefined ? d : `sha256:${createHash('sha256').update(`${chain} ${d}`).digest('hex')}`;
  return chain as Digest | undefined;
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
  const diffIds: string[] = [];
  let parent: string | undefined;
  for (const layer of layers) {
    diffIds.push(await layer.diffId());
    const name = snapshotNameOf(diffIds)!;
    if (!(await snap.stat(name).then(() => true, () => false))) {
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
    parent = name;
  }
  return parent;
}

/** Layers for layer refs whose blobs are in the content store (read lazily). */
export function storedLayers(cs: BlobSource, refs: readonly LayerRef[]): Layer[] {
  return refs.map((r) => new StoreLayer(cs, { mediaType: r.mediaType, digest: r.digest, size: r.size }, r.diffId));
}
