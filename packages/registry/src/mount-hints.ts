import { openStoreImage, type Digest, type LocalStore } from '@strata/oci';
import { parseReference } from './reference.js';

/**
 * Which repositories of `registry` probably hold each blob, judged from the local store's names: an image
 * named `REGISTRY/REPO:TAG` was pulled from or pushed to that repository, so its blobs are candidates for a
 * cross-repository mount (skopeo keeps a blob-location cache for the same purpose; our names are that cache).
 * A wrong guess costs one request: the registry answers 202 and the upload proceeds.
 */
export async function mountHintsFromStore(local: LocalStore, registry: string, exceptRepository: string, perBlob = 3): Promise<(digest: Digest) => string[]> {
  const byBlob = new Map<string, string[]>();
  for (const rec of local.names.list()) {
    let repo: string;
    try {
      const ref = parseReference(rec.name);
      if (ref.registry !== registry || ref.repository === exceptRepository) continue;
      repo = ref.repository;
    } catch {
      continue;
    }
    try {
      const m = await (await openStoreImage(local.content, rec, rec.name)).manifest();
      for (const d of [m.config, ...m.layers]) {
        const list = byBlob.get(d.digest) ?? [];
        if (!list.includes(repo) && list.length < perBlob) list.push(repo);
        byBlob.set(d.digest, list);
      }
    } catch {
      // an image with missing blobs gives no hints
    }
  }
  return (digest) => byBlob.get(digest) ?? [];
}
