import type { ContentStore, Descriptor, Digest } from '@strata/oci';
import type { CacheBackend } from './backend.js';
import { eachLimit } from './pool.js';
import type { CacheEntry, LayerRef } from './record.js';

/** What an export did. */
export interface ExportStats {
  entriesWritten: number;
  /** Entries the remote already had (their hit time was refreshed). */
  entriesPresent: number;
  /** Entries not exported because a blob they name is neither local nor remote. */
  entriesSkipped: number;
  blobsUploaded: number;
  blobsMounted: number;
  blobsPresent: number;
  bytesUploaded: number;
}

/** Options of exportEntries. */
export interface ExportOptions {
  /** Blobs not to upload (the base images' layers: every runner that can hit these keys has them). */
  skipBlobs?: ReadonlySet<string>;
  /** Same-registry repositories that may hold a blob (cross-repository mount instead of an upload). */
  mountFrom?: (digest: Digest) => string[];
  /** Uploads at once (default 8). */
  concurrency?: number;
  /** How each layer travels (uncompressed local layers gzipped); default: as stored. */
  wire?: (l: LayerRef) => Promise<LayerRef>;
}

/**
 * Exports entries to a remote: blobs first (each after an existence check, so only what the remote lacks is
 * sent), then each entry, written only when the key is absent — another writer's entry is never replaced,
 * and an entry becomes visible only after every blob it names is there.
 */
export async function exportEntries(backend: CacheBackend, entries: readonly CacheEntry[], cs: ContentStore, o: ExportOptions = {}): Promise<ExportStats> {
  const stats: ExportStats = { entriesWritten: 0, entriesPresent: 0, entriesSkipped: 0, blobsUploaded: 0, blobsMounted: 0, blobsPresent: 0, bytesUploaded: 0 };
  // Entries as they travel: each own layer in its wire form (same diff id), base layers as they are.
  const wire = o.wire ?? (async (l: LayerRef) => l);
  const forms = new Map<string, Promise<LayerRef>>();
  const formOf = (l: LayerRef): Promise<LayerRef> => {
    if (o.skipBlobs?.has(l.digest)) return Promise.resolve(l);
    let p = forms.get(l.digest);
    if (!p) forms.set(l.digest, (p = wire(l)));
    return p;
  };
  const sent: CacheEntry[] = [];
  await eachLimit(entries, o.concurrency ?? 8, async (e) => {
    sent.push({ ...e, state: { ...e.state, layers: await Promise.all(e.state.layers.map(formOf)) } });
  });
  const blobs = new Map<string, Descriptor>();
  for (const e of sent) for (const l of e.state.layers) if (!o.skipBlobs?.has(l.digest)) blobs.set(l.digest, { mediaType: l.mediaType, digest: l.digest, size: l.size });
  const present = new Set<string>();
  await eachLimit([...blobs.values()], o.concurrency ?? 8, async (d) => {
    if (!(await cs.has(d.digest))) {
      // Known only from another remote (a lazy hit never downloaded): fine if this remote has it too.
      if (await backend.hasBlob(d.digest)) {
        present.add(d.digest);
        stats.blobsPresent++;
      }
      return;
    }
    const r = await backend.writeBlob(d, () => cs.get(d.digest), o.mountFrom?.(d.digest) ?? []);
    present.add(d.digest);
    if (r === 'uploaded') {
      stats.blobsUploaded++;
      stats.bytesUploaded += d.size;
    } else if (r === 'mounted') stats.blobsMounted++;
    else stats.blobsPresent++;
  });
  const hits: string[] = [];
  await eachLimit(sent, o.concurrency ?? 8, async (e) => {
    const own = e.state.layers.filter((l) => !o.skipBlobs?.has(l.digest));
    if (own.some((l) => !present.has(l.digest))) {
      stats.entriesSkipped++;
      return;
    }
    const bytes = Buffer.from(JSON.stringify(e));
    if (await backend.writeEntry(e.key, bytes, own.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })))) {
      stats.entriesWritten++;
      stats.bytesUploaded += bytes.length;
    } else {
      stats.entriesPresent++;
      hits.push(e.key);
    }
  });
  if (hits.length > 0) await backend.markHits(hits.sort(), new Date());
  return stats;
}
