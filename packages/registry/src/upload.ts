import type { Readable } from 'node:stream';
import type { Digest } from '@strata/oci';
import { ChunkReader } from './chunks.js';
import type { RepositoryClient } from './client.js';
import { RegistryError } from './errors.js';
import { repoScope } from './session.js';
import { drain } from './transport.js';

/** How a blob reached the registry. */
export type BlobPushResult = 'exists' | 'mounted' | 'uploaded';

/** What pushBlob did, and for a mount, from which repository. */
export interface BlobPushOutcome {
  result: BlobPushResult;
  mountedFrom?: string;
}

/** Options of pushBlob. */
export interface BlobUploadOptions {
  /** Repositories of the same registry that may hold the blob: tried as cross-repository mounts first. */
  mountFrom?: string[];
  /** Upload in PATCH chunks of this many bytes; 0 or absent means one monolithic PUT. */
  chunkSize?: number;
  /** Whole-blob attempts (a new upload session each); default 3. */
  attempts?: number;
  /** The caller knows the blob is new (it just made it): skip the HEAD that would say so. */
  absent?: boolean;
}

/** A blob to push: its identity and a way to read it from the start (again, on retry). */
export interface BlobSourceSpec {
  digest: Digest;
  size: number;
  open(): Promise<Readable>;
}

/**
 * Puts a blob into the client's repository: HEAD first (nothing to do when present), then a cross-repository
 * mount from each candidate, then an upload (monolithic, or chunked with `chunkSize`). A failed upload is
 * retried from the start in a fresh session, since a half-fed session cannot be trusted.
 */
export async function pushBlob(client: RepositoryClient, blob: BlobSourceSpec, opts: BlobUploadOptions = {}): Promise<BlobPushOutcome> {
  if (!opts.absent && (await client.hasBlob(blob.digest))) return { result: 'exists' };
  let location: string | undefined;
  for (const from of opts.mountFrom ?? []) {
    if (from === client.repository) continue;
    const res = await client.wrap('mount blob', () => client.session.request({
      method: 'POST',
      url: `/v2/${client.repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
      headers: { 'content-length': '0' },
    }, [repoScope(client.repository, true), repoScope(from)]));
    drain(res);
    if (res.status === 201) return { result: 'mounted', mountedFrom: from };
    if (res.status === 202 && res.headers.location) { location = res.headers.location; break; }
    // A registry that cannot mount (no access to `from`) just says so: fall through to an upload.
    if (res.status !== 401 && res.status !== 403 && res.status !== 404) return client.fail(res, `mount blob ${blob.digest} from ${from}`);
  }
  const attempts = Math.max(1, opts.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    try {
      await upload(client, blob, location, opts.chunkSize ?? 0);
      return { result: 'uploaded' };
    } catch (e) {
      location = undefined;
      if (!(e instanceof RegistryError) || !e.retryable || attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

async function startUpload(client: RepositoryClient): Promise<string> {
  const res = await client.wrap('start upload', () => client.session.request({
    method: 'POST', url: `/v2/${client.repository}/blobs/uploads/`, headers: { 'content-length': '0' },
  }, [repoScope(client.repository, true)]));
  drain(res);
  if (res.status !== 202 || !res.headers.location) return client.fail(res, 'start blob upload');
  return res.headers.location;
}

async function resolveLocation(client: RepositoryClient, location: string): Promise<URL> {
  return new URL(location, await client.session.base());
}

async function upload(client: RepositoryClient, blob: BlobSourceSpec, location: string | undefined, chunkSize: number): Promise<void> {
  let url = await resolveLocation(client, location ?? (await startUpload(client)));
  const what = `upload blob ${blob.digest}`;
  const retryable = (status: number) => status >= 500 || status === 429 || status === 408;
  if (chunkSize > 0 && blob.size > chunkSize) {
    const reader = new ChunkReader(await blob.open());
    try {
      for (let off = 0; off < blob.size; off += chunkSize) {
        const n = Math.min(chunkSize, blob.size - off);
        const body = reader.next(n);
        let sent = false;
        // A chunk can be sent once: if auth has to be redone mid-upload, the whole blob starts again.
        const once = () => {
          if (sent) throw new RegistryError(`${client.label}: ${what}: chunk at ${off} had to be re-sent`, undefined, true);
          sent = true;
          return body;
        };
        const res = await client.wrap(what, () => client.session.request({
          method: 'PATCH', url: url.href, retry: false, body: once,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(n), 'content-range': `${off}-${off + n - 1}` },
        }, [repoScope(client.repository, true)]));
        drain(res);
        if (res.status !== 202 && res.status !== 204) {
          if (retryable(res.status)) throw new RegistryError(`${client.label}: ${what}: chunk at ${off}: ${res.status}`, res.status, true);
          return client.fail(res, `${what} (chunk at ${off})`);
        }
        if (res.headers.location) url = await resolveLocation(client, res.headers.location);
      }
    } finally {
      await reader.close();
    }
    url.searchParams.set('digest', blob.digest);
    const res = await client.wrap(what, () => client.session.request({
      method: 'PUT', url: url.href, retry: false, headers: { 'content-length': '0' },
    }, [repoScope(client.repository, true)]));
    if (res.status !== 201 && res.status !== 204) return client.fail(res, `${what} (commit)`);
    drain(res);
    return;
  }
  url.searchParams.set('digest', blob.digest);
  const res = await client.wrap(what, () => client.session.request({
    method: 'PUT', url: url.href, retry: false, body: () => blob.open(),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
  }, [repoScope(client.repository, true)]));
  if (res.status !== 201 && res.status !== 204) {
    if (retryable(res.status)) { drain(res); throw new RegistryError(`${client.label}: ${what}: ${res.status}`, res.status, true); }
    return client.fail(res, what);
  }
  drain(res);
}
