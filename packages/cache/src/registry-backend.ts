import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MediaType, jsonBytes, type Descriptor, type Digest } from '@strata/oci';
import {
  RegistryNotFoundError, connect, drain, isLoopbackHost, parseReference, pushBlob, readBody, repoScope,
  type RepositoryClient,
} from '@strata/registry';
import { hexOf, type BlobPut, type CacheBackend } from './backend.js';
import { BUNDLE_MEDIA_TYPE, BUNDLE_NAME_RE } from './bundle.js';
import { RemoteCacheError } from './errors.js';
import type { BundleRef } from './record.js';

/** Media type of an entry document (the config blob of its artifact manifest). */
export const ENTRY_MEDIA_TYPE = 'application/vnd.strata.cache.entry.v1+json';
/** Media type of a hit record and of a pointer document. */
export const HIT_MEDIA_TYPE = 'application/vnd.strata.cache.hit.v1+json';
export const POINTER_MEDIA_TYPE = 'application/vnd.strata.cache.pointer.v1+json';
/** The annotation that carries an entry, hit or pointer document inside its manifest. */
export const DOC_ANNOTATION = 'dev.strata.cache.doc';
/** OCI's empty config descriptor (`{}`): artifacts whose content is in annotations and layers. */
const EMPTY: Descriptor = { mediaType: MediaType.ociEmpty, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' as Digest, size: 2 };

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/**
 * A remote cache in a distribution registry (`type=registry,ref=HOST/REPO[:prefix]`). Each entry is an OCI
 * artifact manifest tagged `<prefix>-<key hex>`: the entry JSON in an annotation, the blobs the entry names as
 * its layers (so the registry keeps them alive), OCI's empty config. Each export that hit existing entries
 * adds one `<prefix>-hits-<hash>` document; pointers are `<prefix>-ptr-<hash>`.
 * Tags rather than the referrers API: Debian's distribution 2.8 has none, and tags list in one request.
 */
export class RegistryBackend implements CacheBackend {
  readonly label: string;
  /** A request costs more than 64 kB on most links: smaller layers ride in their entry's manifest. */
  readonly inlineMax = 64 << 10;
  private readonly client: RepositoryClient;
  private readonly prefix: string;
  /** The empty config blob, pushed once per backend. */
  private empty?: Promise<void>;

  constructor(ref: string, insecure: boolean) {
    let r;
    try {
      r = parseReference(ref, 'cache');
    } catch (e) {
      throw new RemoteCacheError(`cache ref ${ref}: ${(e as Error).message}`);
    }
    if (r.digest) throw new RemoteCacheError(`cache ref ${ref}: a cache is named by repository[:prefix], not by digest`);
    this.prefix = r.tag ?? 'cache';
    if (this.prefix.length > 59) throw new RemoteCacheError(`cache ref ${ref}: prefix longer than 59 characters (tags hold 128)`);
    // Docker treats loopback registries as insecure by default; so do we.
    this.client = connect(r, { insecure: insecure || isLoopbackHost(r.registry) }, true);
    this.label = `registry ${r.registry}/${r.repository}:${this.prefix}`;
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RemoteCacheError) throw e;
      const m = ((e as Error).message ?? String(e)).split('\n')[0]!;
      throw new RemoteCacheError(`${this.label}: ${what}: ${m.replace(/^[^ ]+: /, '')}`);
    }
  }

  async check(write: boolean): Promise<void> {
    await this.guard('cannot reach the registry', async () => {
      // Credentials matter only where /v2/ asks for them; an open registry's answer this process saw will do.
      if (this.client.session.options.credentials === undefined && (await this.client.session.answeredOpenly())) return;
      const res = await this.client.session.request({ method: 'GET', url: '/v2/' }, [repoScope(this.client.repository, write)]);
      drain(res);
      if (res.status === 401 || res.status === 403) throw new RemoteCacheError(`${this.label}: credentials refused (${res.status})`);
      if (res.status !== 200) throw new RemoteCacheError(`${this.label}: GET /v2/ answered ${res.status}`);
    });
    // A writer needs the empty config blob for its first entry: see to it now, while the build runs.
    if (write) this.emptyBlob().catch(() => {});
  }

  /** Pushes OCI's empty config blob once per backend (again after a failure). */
  private emptyBlob(): Promise<void> {
    // Sent without asking first: two bytes again cost less than a round trip.
    this.empty ??= pushBlob(this.client, { digest: EMPTY.digest, size: EMPTY.size, open: async () => Readable.from([Buffer.from('{}')]) }, { absent: true })
      .then(() => {}, (e: unknown) => {
        this.empty = undefined;
        throw e;
      });
    return this.empty;
  }

  private tag(kind: '' | 'ptr-', hex: string): string {
    return `${this.prefix}-${kind}${hex}`;
  }

  /** The document a manifest tagged `tag` carries, or undefined when the tag is absent. */
  private async docOf(tag: string): Promise<Buffer | undefined> {
    let m;
    try {
      m = await this.client.getManifest(tag);
    } catch (e) {
      if (e instanceof RegistryNotFoundError) return undefined;
      throw e;
    }
    const parsed = JSON.parse(m.bytes.toString('utf8')) as { annotations?: Record<string, string> };
    const doc = parsed.annotations?.[DOC_ANNOTATION];
    return typeof doc === 'string' ? Buffer.from(doc, 'utf8') : undefined;
  }

  /**
   * Tags a manifest carrying `doc` in an annotation, with `blobs` as its layers (kept alive by the registry).
   * The document rides in the manifest rather than a config blob: one request to write, one to read.
   */
  private async putDoc(tag: string, doc: Buffer, artifactType: string, blobs: Descriptor[]): Promise<void> {
    await this.emptyBlob();
    const manifest = {
      schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType, config: EMPTY,
      layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
      annotations: { [DOC_ANNOTATION]: doc.toString('utf8') },
    };
    await this.client.putManifest(tag, jsonBytes(manifest), MediaType.ociManifest);
  }

  readEntry(key: string): Promise<Buffer | undefined> {
    return this.guard(`read entry ${key.slice(7, 19)}`, () => this.docOf(this.tag('', hexOf(key))));
  }

  writeEntry(key: string, bytes: Buffer, blobs: Descriptor[], listed = false): Promise<boolean> {
    return this.guard(`write entry ${key.slice(7, 19)}`, async () => {
      const tag = this.tag('', hexOf(key));
      // Entries are never replaced: a key someone exported first keeps their entry. After a listing that
      // showed the key absent, only a writer racing us in the meantime could lose theirs.
      if (!listed && (await this.client.headManifest(tag))) return false;
      await this.putDoc(tag, bytes, ENTRY_MEDIA_TYPE, blobs);
      return true;
    });
  }

  /** Every tag of the repository (paginated with the Link header). */
  private async tags(): Promise<string[]> {
    const out: string[] = [];
    let url: string | undefined = `/v2/${this.client.repository}/tags/list?n=1000`;
    while (url) {
      const res = await this.client.session.request({ method: 'GET', url }, [repoScope(this.client.repository)]);
      if (res.status === 404) { drain(res); return out; }
      if (res.status !== 200) return this.client.fail(res, 'list tags');
      const body = JSON.parse((await readBody(res, 64 << 20)).toString('utf8')) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const link = res.headers.link;
      url = typeof link === 'string' ? /<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1] : undefined;
    }
    return out;
  }

  private tagsMatching(re: RegExp): Promise<string[]> {
    return this.tags().then((t) => t.filter((x) => re.test(x)));
  }

  private get esc(): string {
    return this.prefix.replace(/[.]/g, '\\.');
  }

  listEntries(): Promise<string[]> {
    return this.guard('list entries', async () => {
      const re = new RegExp(`^${this.esc}-([a-f0-9]{64})$`);
      const keys = (await this.tagsMatching(re)).map((t) => `sha256:${re.exec(t)![1]}`);
      // Every entry manifest names the empty config blob: with entries there, it is there.
      if (keys.length > 0) this.empty ??= Promise.resolve();
      return keys;
    });
  }

  /** Bundles are blobs (fetched by digest from an entry) tagged `<prefix>-b-<name>` (found by a listing). */
  writeBundle(name: string, bytes: Buffer): Promise<BundleRef> {
    return this.guard(`write bundle ${name}`, async () => {
      const digest = sha(bytes);
      // New by construction (it holds entries the listing lacked): no existence check.
      await pushBlob(this.client, { digest, size: bytes.length, open: async () => Readable.from([bytes]) }, { absent: true });
      const desc: Descriptor = { mediaType: BUNDLE_MEDIA_TYPE, digest, size: bytes.length };
      await this.putDoc(`${this.prefix}-b-${name}`, Buffer.from(name), BUNDLE_MEDIA_TYPE, [desc]);
      return { name, digest, size: bytes.length };
    });
  }

  readBundle(ref: BundleRef | string): Promise<Buffer | undefined> {
    return this.guard(`read bundle ${typeof ref === 'string' ? ref : ref.name}`, async () => {
      let desc: Descriptor;
      if (typeof ref === 'string') {
        let m;
        try {
          m = await this.client.getManifest(`${this.prefix}-b-${ref}`);
        } catch (e) {
          if (e instanceof RegistryNotFoundError) return undefined;
          throw e;
        }
        const layer = (JSON.parse(m.bytes.toString('utf8')) as { layers?: Descriptor[] }).layers?.[0];
        if (!layer) return undefined;
        desc = layer;
      } else desc = { mediaType: BUNDLE_MEDIA_TYPE, digest: ref.digest, size: ref.size };
      let res;
      try {
        res = await this.client.blobResponse(desc.digest);
      } catch (e) {
        if (e instanceof RegistryNotFoundError) return undefined;
        throw e;
      }
      const bytes = await readBody(res, 256 << 20);
      return sha(bytes) === desc.digest ? bytes : undefined;
    });
  }

  listBundles(): Promise<string[]> {
    return this.guard('list bundles', async () => {
      const re = new RegExp(`^${this.esc}-b-(.+)$`);
      return (await this.tags()).map((t) => re.exec(t)?.[1]).filter((n): n is string => n !== undefined && BUNDLE_NAME_RE.test(n)).sort();
    });
  }

  deleteBundle(name: string): Promise<void> {
    return this.guard(`delete bundle ${name}`, () => this.deleteTag(`${this.prefix}-b-${name}`));
  }

  private async deleteTag(tag: string): Promise<void> {
    const d = await this.client.headManifest(tag);
    if (!d) return;
    const res = await this.client.session.request({ method: 'DELETE', url: `/v2/${this.client.repository}/manifests/${d.digest}` }, [repoScope(this.client.repository, true)]);
    drain(res);
    if (res.status !== 202 && res.status !== 200 && res.status !== 404) await this.client.fail(res, `delete manifest ${tag}`);
  }

  deleteEntry(key: string): Promise<void> {
    return this.guard(`delete entry ${key.slice(7, 19)}`, () => this.deleteTag(this.tag('', hexOf(key))));
  }

  /** One hit document per export, `<prefix>-hits-<hash>`, naming every key it hit: one write, not one per key. */
  markHits(keys: string[], when: Date): Promise<void> {
    return this.guard('record hits', async () => {
      const doc = jsonBytes({ hit: when.toISOString(), keys });
      await this.putDoc(`${this.prefix}-hits-${sha(doc).slice(7, 23)}`, doc, HIT_MEDIA_TYPE, []);
    });
  }

  private async hitDocs(): Promise<Array<{ tag: string; hit: number; keys: string[] }>> {
    const tags = await this.tagsMatching(new RegExp(`^${this.esc}-hits-[a-f0-9]{16}$`));
    const out: Array<{ tag: string; hit: number; keys: string[] }> = [];
    for (const tag of tags) {
      const b = await this.docOf(tag);
      try {
        const v = JSON.parse(b?.toString('utf8') ?? 'null') as { hit?: string; keys?: unknown };
        const hit = Date.parse(v.hit ?? '');
        if (!Number.isNaN(hit) && Array.isArray(v.keys)) out.push({ tag, hit, keys: v.keys.filter((k): k is string => typeof k === 'string') });
      } catch { /* a malformed hit document keeps nothing alive */ }
    }
    return out;
  }

  lastHits(): Promise<Map<string, number>> {
    return this.guard('read hits', async () => {
      const out = new Map<string, number>();
      for (const d of await this.hitDocs()) for (const k of d.keys) out.set(k, Math.max(out.get(k) ?? 0, d.hit));
      return out;
    });
  }

  pruneHits(before: number): Promise<void> {
    return this.guard('prune hits', async () => {
      for (const d of await this.hitDocs()) if (d.hit < before) await this.deleteTag(d.tag);
    });
  }

  hasBlob(digest: Digest): Promise<boolean> {
    return this.guard(`check blob ${digest}`, () => this.client.hasBlob(digest));
  }

  readBlob(desc: Descriptor): Promise<Readable> {
    return this.guard(`fetch blob ${desc.digest}`, async () => {
      const body = (await this.client.blobResponse(desc.digest)).body;
      // The consumer sees errors through its reads; this only keeps an early one from being uncaught.
      body.on('error', () => {});
      return body;
    });
  }

  writeBlob(desc: Descriptor, open: () => Promise<Readable>, mountFrom: string[] = []): Promise<BlobPut> {
    return this.guard(`upload blob ${desc.digest}`, async () => (await pushBlob(this.client, { digest: desc.digest, size: desc.size, open }, { mountFrom })).result);
  }

  deleteBlob(digest: Digest): Promise<boolean> {
    return this.guard(`delete blob ${digest}`, async () => {
      const res = await this.client.session.request({ method: 'DELETE', url: `/v2/${this.client.repository}/blobs/${digest}` }, [repoScope(this.client.repository, true)]);
      drain(res);
      return res.status === 202 || res.status === 200;
    });
  }

  readPointer(name: string): Promise<Buffer | undefined> {
    return this.guard(`read ${name}`, () => this.docOf(this.tag('ptr-', pointerHex(name))));
  }

  writePointer(name: string, bytes: Buffer, blobs: Descriptor[]): Promise<void> {
    return this.guard(`write ${name}`, () => this.putDoc(this.tag('ptr-', pointerHex(name)), bytes, POINTER_MEDIA_TYPE, blobs));
  }

  async close(): Promise<void> {}
}

function pointerHex(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 40);
}
