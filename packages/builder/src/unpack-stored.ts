import { LocalStore, defaultStateRoot } from '@strata/oci';
import { openSnapshotter } from '@strata/snapshot';
import { unpackImage } from './run-container.js';
import { reapStale } from './stale.js';

/**
 * Unpacks a stored image's layers into committed snapshots (named by chain id, shared with builds and runs),
 * as `docker load` and `docker pull` do: the first build FROM it, or run of it, then starts at once instead
 * of unpacking first. Layers already unpacked are not touched.
 */
export async function unpackStoredImage(ref: string, stateRoot?: string): Promise<void> {
  const root = stateRoot ?? defaultStateRoot();
  const store = new LocalStore(root);
  try {
    const img = await store.image(ref);
    const snap = await openSnapshotter({ root });
    await reapStale(root, snap);
    await unpackImage(snap, img);
  } finally {
    store.close();
  }
}
