import { isIndexType, openStoreImage, parseIndex, type ContentStore, type Descriptor, type Digest } from '@strata/oci';
import { connect } from './connect.js';
import { RegistryError } from './errors.js';
import { push, type PushOptions, type PushResult } from './push.js';
import { formatReference, parseReference, type Reference } from './reference.js';

/**
 * Pushes a manifest-or-index blob from a content store. An index is pushed whole, as `docker buildx` and
 * `skopeo copy --all` do: each platform's image under its digest, then the index under the tag. Every
 * child must be in the store (a pull keeps only one platform; such an index cannot be pushed whole).
 */
export async function pushFromStore(store: ContentStore, desc: Descriptor, dest: string | Reference, options: PushOptions = {}): Promise<PushResult> {
  // One session for every manifest: auth and the http/https choice are learnt once.
  const opts = { ...options, sessions: options.sessions ?? new Map() };
  const reference = typeof dest === 'string' ? parseReference(dest) : dest;
  const label = formatReference(reference);
  if (!isIndexType(desc.mediaType)) return push(await openStoreImage(store, desc, label), reference, opts);
  const raw = await store.readBuffer(desc.digest);
  const index = parseIndex(raw, `${label} index`);
  const totals = { uploaded: 0, mounted: 0, existing: 0 };
  for (const child of index.manifests) {
    if (!(await store.has(child.digest))) {
      const p = child.platform ? `${child.platform.os}/${child.platform.architecture}` : child.digest;
      throw new RegistryError(`${label}: index entry ${p} (${child.digest}) is not in the local store; cannot push the index whole`);
    }
    const r = await pushFromStore(store, child, { ...reference, tag: undefined, digest: child.digest as Digest }, opts);
    totals.uploaded += r.uploaded;
    totals.mounted += r.mounted;
    totals.existing += r.existing;
  }
  const client = connect(reference, opts, true);
  const digest = await client.putManifest(reference.tag ?? reference.digest!, raw, index.mediaType ?? desc.mediaType);
  return { reference, digest, mediaType: index.mediaType ?? desc.mediaType, size: raw.length, ...totals };
}
