import { compressionOfMediaType, type ContentStore, type Descriptor, type Digest } from '@strata/oci';
import type { CacheBackend } from './backend.js';
import { bundleRef, encodeBundle } from './bundle.js';
import { eachLimit } from './pool.js';
import { encodeInline, type CacheEntry, type LayerRef } from './record.js';
import type { WireLayer } from './wire-form.js';

/** What an export did. */
export interface ExportStats {
  entriesWritten: number;
  /** Entries the remote already had (their hit time was refreshed). */
  entriesPresent: number;
  /** Entries not exported because a blob they name is neither local nor remote. */
  entriesSkipped: number;
  /** Blobs sent (uploaded on their own or inside their entry), mounted, or found there. */
  blobsUploaded: number;
  blobsMounted: number;
  blobsPresent: number;
  /** Of blobsUploaded, those that travelled inside their entry. */
  blobsInline: number;
  /** Everything sent: blob uploads, entry documents (with their inline blobs) and the bundle. */
  bytesUploaded: number;
  /** The digests of the blobs sent (uploaded or inline), sorted: what a test compares with the changed steps. */
  uploaded: string[];
}

/** Options of exportEntries. */
export interface ExportOptions {
  /** Blobs not to upload (the base images' layers: every runner that can hit these keys has them). */
  skipBlobs?: ReadonlySet<string>;
  /** Same-registry repositories that may hold a blob (cross-repository mount instead of an upload). */
  mountFrom?: (digest: Digest) => string[];
  /** Requests at once (default 8). */
  concurrency?: number;
  /** How each layer travels to a backend of this `inlineMax` (WireForms.of); default: as stored. */
  wire?: (l: LayerRef, inlineMax: number) => Promise<WireLayer>;
  /** The export's time (bundle name); default now. */
  now?: Date;
  /** The remote's keys, when the caller started listing them already (to overlap it with its own work). */
  listing?: Promise<string[]>;
}

const descOf = (l: LayerRef): Descriptor => ({ mediaType: l.mediaType, digest: l.digest, size: l.size });

/**
 * Exports entries to a remote. One listing says which keys it has: those are only marked hit, and neither
 * they nor the blobs they name are checked again (the remote had them whole when it took them). For the new
 * entries, each blob is sent once: a small one inside the entry of the step that made it, a larger one after
 * an existence check (or as a cross-repository mount). An entry is written only when every blob it names is
 * there, and never over another writer's (where the backend can tell). New entries also go out together as
 * one bundle, so an importer reads them in one request.
 * Race: if another writer's entry for a key names other blobs than ours (two runners built the same step at
 * once), a new child of ours may name a blob that is not there; importers take that as a miss with a warning.
 */
export async function exportEntries(backend: CacheBackend, entries: readonly CacheEntry[], cs: ContentStore, o: ExportOptions = {}): Promise<ExportStats> {
  const stats: ExportStats = {
    entriesWritten: 0, entriesPresent: 0, entriesSkipped: 0, blobsUploaded: 0, blobsMounted: 0, blobsPresent: 0, blobsInline: 0, bytesUploaded: 0, uploaded: [],
  };
  const limit = o.concurrency ?? 8;
  const listed = new Set(await (o.listing ?? backend.listEntries()));
  const fresh = entries.filter((e) => !listed.has(e.key));
  const hits = entries.filter((e) => listed.has(e.key)).map((e) => e.key);
  const own = (l: LayerRef) => !o.skipBlobs?.has(l.digest);
  // Layers of entries the remote has are there (as blobs or inside those entries): nothing to check.
  const known = new Set<string>();
  for (const e of entries) if (listed.has(e.key)) for (const l of e.state.layers) known.add(l.digest);
  // New entries as they travel: each own layer in its wire form (same diff id), base layers as they are.
  const wire = o.wire ?? (async (l: LayerRef): Promise<WireLayer> => ({ ref: l }));
  /** Gzips of uncompressed tars that travel inside their entry (by the tar's digest). */
  const squeezed = new Map<string, Buffer>();
  const forms = new Map<string, Promise<LayerRef>>();
  const formOf = (l: LayerRef): Promise<LayerRef> => {
    if (!own(l)) return Promise.resolve(l);
    let p = forms.get(l.digest);
    if (!p) {
      p = wire(l, backend.inlineMax).then((w) => {
        if (w.squeezed) squeezed.set(w.ref.digest, w.squeezed);
        return w.ref;
      });
      forms.set(l.digest, p);
    }
    return p;
  };
  const sent: CacheEntry[] = new Array<CacheEntry>(fresh.length);
  await eachLimit(fresh.map((e, i) => [e, i] as const), limit, async ([e, i]) => {
    sent[i] = { ...e, state: { ...e.state, layers: await Promise.all(e.state.layers.map(formOf)) } };
  });
  // Each blob the new entries need, and the entry that carries it when it travels inline: the shortest chain
  // naming it, i.e. the step that made it.
  const need = new Map<string, { desc: Descriptor; carrier: CacheEntry }>();
  sent.forEach((e, i) => {
    e.state.layers.forEach((l, j) => {
      // Known by the digest the local entry names (the remote entry that named it holds its wire form).
      if (!own(l) || known.has(fresh[i]!.state.layers[j]!.digest)) return;
      const cur = need.get(l.digest);
      if (!cur || e.state.layers.length < cur.carrier.state.layers.length) need.set(l.digest, { desc: descOf(l), carrier: e });
    });
  });
  const there = new Set<string>();
  sent.forEach((e, i) => e.state.layers.forEach((l, j) => { if (known.has(fresh[i]!.state.layers[j]!.digest)) there.add(l.digest); }));
  /** Blobs at the remote as blobs of their own: the ones a registry entry may list as its layers. */
  const asBlob = new Set<string>();
  const inline = new Map<CacheEntry, Record<string, string>>();
  await eachLimit([...need.values()], limit, async ({ desc: d, carrier }) => {
    if (!(await cs.has(d.digest))) {
      // Known only from another remote (a lazy hit never downloaded): fine if this remote has it too.
      if (await backend.hasBlob(d.digest)) {
        there.add(d.digest);
        asBlob.add(d.digest);
        stats.blobsPresent++;
      }
      return;
    }
    const mountFrom = o.mountFrom?.(d.digest) ?? [];
    const gz = squeezed.get(d.digest);
    if ((gz ? gz.length : d.size) <= backend.inlineMax && mountFrom.length === 0) {
      const m = inline.get(carrier) ?? {};
      m[d.digest] = gz ? `gzip:${gz.toString('base64')}` : encodeInline(await cs.readBuffer(d.digest), compressionOfMediaType(d.mediaType) === 'none');
      inline.set(carrier, m);
      there.add(d.digest);
      stats.blobsUploaded++;
      stats.blobsInline++;
      stats.uploaded.push(d.digest);
      return;
    }
    const r = await backend.writeBlob(d, () => cs.get(d.digest), mountFrom);
    there.add(d.digest);
    asBlob.add(d.digest);
    if (r === 'uploaded') {
      stats.blobsUploaded++;
      stats.bytesUploaded += d.size;
      stats.uploaded.push(d.digest);
    } else if (r === 'mounted') stats.blobsMounted++;
    else stats.blobsPresent++;
  });
  stats.uploaded.sort();
  const ready: CacheEntry[] = [];
  for (const e of sent) {
    if (e.state.layers.filter(own).some((l) => !there.has(l.digest))) stats.entriesSkipped++;
    else ready.push(inline.has(e) ? { ...e, inline: inline.get(e)! } : e);
  }
  const tasks: Array<() => Promise<void>> = [];
  let docs = ready;
  if (ready.length > 1) {
    const bytes = encodeBundle(ready);
    // The bundle's ref is known before it is written (it names its own content), so entries go out at once.
    const ref = bundleRef(o.now ?? new Date(), bytes);
    const name = ref.name;
    docs = ready.map((e) => ({ ...e, bundle: ref }));
    tasks.push(async () => {
      await backend.writeBundle(name, bytes);
      stats.bytesUploaded += bytes.length;
    });
  }
  for (const e of docs) {
    tasks.push(async () => {
      const bytes = Buffer.from(JSON.stringify(e));
      const blobs = e.state.layers.filter((l) => own(l) && asBlob.has(l.digest)).map(descOf);
      if (await backend.writeEntry(e.key, bytes, blobs, true)) {
        stats.entriesWritten++;
        stats.bytesUploaded += bytes.length;
      } else {
        stats.entriesPresent++;
        hits.push(e.key);
      }
    });
  }
  await eachLimit(tasks, limit, (t) => t());
  stats.entriesPresent += entries.length - fresh.length;
  if (hits.length > 0) await backend.markHits(hits.sort(), o.now ?? new Date());
  return stats;
}
