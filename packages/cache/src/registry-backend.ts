import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { MediaType, jsonBytes, type Descriptor, type Digest } from '@strata/oci';
import {
  RegistryError, RegistryNotFoundError, connect, drain, isLoopbackHost, parseReference, pushBlob, readBody, repoScope,
  type RepositoryClient,
} from '@strata/registry';
import { hexOf, type BlobPut, type CacheBackend } from './backend.js';
import { RemoteCacheError } from './errors.js';

/** Media type of an entry document (the config blob of its artifact manifest). */
export const ENTRY_MEDIA_TYPE = 'application/vnd.strata.cache.entry.v1+json';
/** Media type of a hit record and of a pointer document. */
export const HIT_MEDIA_TYPE = 'application/vnd.strata.cache.hit.v1+json';
export const POINTER_MEDIA_TYPE = 'application/vnd.strata.cache.pointer.v1+json';

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/**
 * A remote cache in a distribution registry (`type=registry,ref=HOST/REPO[:prefix]`). Each entry is an OCI
 * artifact manifest tagged `<prefix>-<key hex>`: its config blob is the entry JSON, its layers the blobs the
 * entry names (so the registry keeps them alive and a blob upload happens once per repository). Hits are tiny
 * manifests tagged `<prefix>-hit-<key hex>`, replaced on each export; pointers `<prefix>-ptr-<hash>`.
 * Tags rather than the referrers API: Debian's distribution 2.8 has none, and tags list in one request.
 */
export class RegistryBackend implements CacheBackend {
  readonly label: string;
  private readonly client: RepositoryClient;
  private readonly prefix: string;

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
      const res = await this.client.session.request({ method: 'GET', url: '/v2/' }, [repoScope(this.client.repository, write)]);
      drain(res);
      if (res.status === 401 || res.status === 403) throw new RemoteCacheError(`${this.label}: credentials refused (${res.status})`);
      if (res.status !== 200) throw new RemoteCacheError(`${this.label}: GET /v2/ answered ${res.status}`);
    });
  }

  private tag(kind: '' | 'hit-' | 'ptr-', hex: string): string {
    return `${this.prefix}-${kind}${hex}`;
  }

  /** The config blob of the manifest tagged `tag`, or undefined when the tag is absent. */
  private async configOf(tag: string): Promise<Buffer | undefined> {
    let m;
    try {
      m = await this.client.getManifest(tag);
    } catch (e) {
      if (e instanceof RegistryNotFoundError) return undefined;
      throw e;
    }
    const parsed = JSON.parse(m.bytes.toString('utf8')) as { config?: Descriptor };
    if (!parsed.config?.digest) return undefined;
    const res = await this.client.blobResponse(parsed.config.digest);
    const bytes = await readBody(res, 4 << 20);
    return sha(bytes) === parsed.config.digest ? bytes : undefined;
  }

  /** Uploads `doc` as a config blob and tags a manifest over it with `blobs` as its layers. */
  private async putDoc(tag: string, doc: Buffer, mediaType: string, blobs: Descriptor[], annotations: Record<string, string>): Promise<void> {
    const cfg: Descriptor = { mediaType, digest: sha(doc), size: doc.length };
    await pushBlob(this.client, { digest: cfg.digest, size: cfg.size, open: async () => (await import('node:stream')).Readable.from([doc]) });
    const manifest = {
      schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: mediaType, config: cfg,
      layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })), annotations,
    };
    await this.client.putManifest(tag, jsonBytes(manifest), MediaType.ociManifest);
  }

  readEntry(key: string): Promise<Buffer | undefined> {
    return this.guard(`read entry ${key.slice(7, 19)}`, () => this.configOf(this.tag('', hexOf(key))));
  }

  writeEntry(key: string, bytes: Buffer, blobs: Descriptor[]): Promise<boolean> {
    return this.guard(`write entry ${key.slice(7, 19)}`, async () => {
      const tag = this.tag('', hexOf(key));
      // Entries are never replaced: a key someone exported first keeps their entry.
      if (await this.client.headManifest(tag)) return false;
      await this.putDoc(tag, bytes, ENTRY_MEDIA_TYPE, blobs, { 'dev.strata.cache.key': key });
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
      const next = typeof link === 'string' ? /<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1] : undefined;
      url = next;
    }
    return out;
  }

  listEntries(): Promise<string[]> {
    return this.guard('list entries', async () => {
      const re = new RegExp(`^${this.prefix.replace(/[.]/g, '\\.')}-([a-f0-9]{64})$`);
      return (await this.tags()).map((t) => re.exec(t)?.[1]).filter((h): h is string => h !== undefined).map((h) => `sha256:${h}`);
    });
  }

  private async deleteTag(tag: string): Promise<void> {
    const d = await this.client.headManifest(tag);
    if (!d) return;
    const res = await this.client.session.request({ method: 'DELETE', url: `/v2/${this.client.repository}/manifests/${d.digest}` }, [repoScope(this.client.repository, true)]);
    drain(res);
    if (res.status !== 202 && res.status !== 200 && res.status !== 404) await this.client.fail(res, `delete manifest ${tag}`);
  }

  deleteEntry(key: string): Promise<void> {
    return this.guard(`delete entry ${key.slice(7, 19)}`, async () => {
      await this.deleteTag(this.tag('', hexOf(key)));
      await this.deleteTag(this.tag('hit-', hexOf(key)));
    });
  }

  markHit(key: string, when: Date): Promise<void> {
    return this.guard(`record hit of ${key.slice(7, 19)}`, async () => {
      const doc = jsonBytes({ key, hit: when.toISOString() });
      await this.putDoc(this.tag('hit-', hexOf(key)), doc, HIT_MEDIA_TYPE, [], { 'dev.strata.cache.key': key });
    });
  }

  lastHit(key: string): Promise<number | undefined> {
    return this.guard(`read hit of ${key.slice(7, 19)}`, async () => {
      const b = await this.configOf(this.tag('hit-', hexOf(key)));
      const t = b === undefined ? NaN : Date.parse((JSON.parse(b.toString('utf8')) as { hit?: string }).hit ?? '');
      return Number.isNaN(t) ? undefined : t;
    });
  }

  hasBlob(digest: Digest): Promise<boolean> {
    return this.guard(`check blob ${digest}`, () => this.client.hasBlob(digest));
  }

  readBlob(desc: Descriptor): Promise<Readable> {
    return this.guard(`fetch blob ${desc.digest}`, async () => (await this.client.blobResponse(desc.digest)).body);
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
    return this.guard(`read ${name}`, () => this.configOf(this.tag('ptr-', pointerHex(name))));
  }

  writePointer(name: string, bytes: Buffer, blobs: Descriptor[]): Promise<void> {
    return this.guard(`write ${name}`, () => this.putDoc(this.tag('ptr-', pointerHex(name)), bytes, POINTER_MEDIA_TYPE, blobs, { 'dev.strata.cache.pointer': name }));
  }

  async close(): Promise<void> {}
}

function pointerHex(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 40);
}

/** True for an error that means "the registry refused or could not be reached" rather than a bug. */
export function isRegistryFailure(e: unknown): boolean {
  return e instanceof RegistryError || e instanceof RemoteCacheError;
}
