import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { MediaType, VerifyingStream, isDigest, type Descriptor, type Digest } from '@strata/oci';
import { RegistryAuthError, RegistryError, RegistryNotFoundError } from './errors.js';
import { formatReference, type Reference } from './reference.js';
import { RegistrySession, repoScope } from './session.js';
import { drain, readBody, type HttpResponse } from './transport.js';

/** Every manifest type strata reads, in the Accept header. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');

/** A manifest or index as the registry served it, verified against its digest. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

function sha256(b: Buffer): Digest {
  return ('sha256:' + createHash('sha256').update(b).digest('hex')) as Digest;
}

/**
 * The distribution v2 API for one repository of one registry. Every error is a RegistryError whose message
 * starts with the reference and says which operation failed.
 */
export class RepositoryClient {
  /** The reference the user gave, for error messages. */
  readonly label: string;

  constructor(readonly session: RegistrySession, readonly ref: Reference, readonly push = false) {
    this.label = formatReference(ref);
  }

  /** The repository path, e.g. `library/busybox`. */
  get repository(): string {
    return this.ref.repository;
  }

  private scopes(extra: string[] = []): string[] {
    return [repoScope(this.ref.repository, this.push), ...extra];
  }

  /** Turns a failed response into a one-line error naming the reference and the operation. */
  async fail(res: HttpResponse, what: string): Promise<never> {
    let detail = '';
    try {
      const body = await readBody(res, 64 << 10);
      const json = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
      const e = json.errors?.[0];
      if (e) detail = `: ${[e.code, e.message].filter(Boolean).join(' ')}`;
    } catch { /* not a distribution error body */ }
    detail = detail.replace(/\s+/g, ' ').slice(0, 200);
    const msg = `${this.label}: ${what}: ${res.status}${statusText(res.status)}${detail}`;
    if (res.status === 401 || res.status === 403) throw new RegistryAuthError(msg, res.status);
    if (res.status === 404) throw new RegistryNotFoundError(msg, res.status);
    throw new RegistryError(msg, res.status);
  }

  /** GET a manifest by tag or digest; verified against the digest asked for and the one the server claims. */
  async getManifest(target: string): Promise<FetchedManifest> {
    const res = await this.wrap('fetch manifest', () => this.session.request({
      method: 'GET', url: `/v2/${this.ref.repository}/manifests/${target}`, headers: { accept: MANIFEST_ACCEPT },
    }, this.scopes()));
    if (res.status !== 200) return this.fail(res, `fetch manifest ${target}`);
    const bytes = await this.wrap(`read manifest ${target}`, () => readBody(res, 4 << 20));
    const digest = sha256(bytes);
    if (isDigest(target) && digest !== target) {
      throw new RegistryError(`${this.label}: manifest content hashes to ${digest}, not the ${target} asked for`);
    }
    const claimed = res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && isDigest(claimed) && claimed !== digest) {
      throw new RegistryError(`${this.label}: registry says manifest digest is ${claimed} but its content hashes to ${digest}`);
    }
    let mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown; schemaVersion?: number };
      if (typeof parsed.mediaType === 'string') mediaType = parsed.mediaType;
      else if (!mediaType || mediaType === 'application/json') mediaType = parsed.manifests ? MediaType.ociIndex : MediaType.ociManifest;
      if (parsed.schemaVersion !== 2) throw new RegistryError(`${this.label}: manifest schemaVersion ${String(parsed.schemaVersion)} is not supported (want 2)`);
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      throw new RegistryError(`${this.label}: manifest ${target} is malformed JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** HEAD a manifest: its descriptor, or undefined when absent. */
  async headManifest(target: string): Promise<Descriptor | undefined> {
    const res = await this.wrap('check manifest', () => this.session.request({
      method: 'HEAD', url: `/v2/${this.ref.repository}/manifests/${target}`, headers: { accept: MANIFEST_ACCEPT },
    }, this.scopes()));
    drain(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.fail(res, `check manifest ${target}`);
    const digest = res.headers['docker-content-digest'];
    return {
      mediaType: (res.headers['content-type'] ?? '').split(';')[0]!,
      digest: (typeof digest === 'string' ? digest : target) as Digest,
      size: Number(res.headers['content-length'] ?? 0),
    };
  }

  /** PUT a manifest under a tag or its digest; returns its digest (checked against the server's answer). */
  async putManifest(target: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const res = await this.wrap('upload manifest', () => this.session.request({
      method: 'PUT', url: `/v2/${this.ref.repository}/manifests/${target}`,
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) }, body: bytes,
    }, this.scopes()));
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) return this.fail(res, `upload manifest ${target}`);
    drain(res);
    const digest = sha256(bytes);
    const claimed = res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && isDigest(claimed) && claimed !== digest) {
      throw new RegistryError(`${this.label}: registry stored the manifest as ${claimed}, expected ${digest}`);
    }
    return digest;
  }

  /** True when the blob is in this repository. */
  async hasBlob(digest: Digest): Promise<boolean> {
    const res = await this.wrap('check blob', () => this.session.request({ method: 'HEAD', url: `/v2/${this.ref.repository}/blobs/${digest}` }, this.scopes()));
    drain(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return this.fail(res, `check blob ${digest}`);
  }

  /**
   * A stream of a blob that fails at its end unless the bytes match `desc` (digest and size). Nothing is
   * buffered: the caller pipes it to the content store.
   */
  async blob(desc: { digest: Digest; size?: number }): Promise<Readable> {
    const res = await this.blobResponse(desc.digest);
    const verify = new VerifyingStream(desc.digest, desc.size, `${this.label}: blob ${desc.digest}`);
    res.body.on('error', (e) => verify.destroy(new RegistryError(`${this.label}: blob ${desc.digest}: ${e.message.split('\n')[0]}`, undefined, true)));
    res.body.on('aborted', () => verify.destroy(new RegistryError(`${this.label}: blob ${desc.digest}: connection closed early`, undefined, true)));
    // The verdict may come before the consumer starts reading (a small blob arrives whole); it keeps it in
    // `errored` and rethrows on iteration, so this listener only stops it being an uncaught exception.
    verify.on('error', () => {});
    return res.body.pipe(verify);
  }

  /**
   * The raw, unverified body of a blob GET, for a consumer that verifies as it writes (ContentStore.put with
   * the expected digest): hashing once instead of twice is what keeps pull as fast as skopeo's.
   */
  async blobResponse(digest: Digest): Promise<HttpResponse> {
    const res = await this.wrap(`fetch blob ${digest}`, () => this.session.request({ method: 'GET', url: `/v2/${this.ref.repository}/blobs/${digest}` }, this.scopes()));
    if (res.status !== 200) return this.fail(res, `fetch blob ${digest}`);
    return res;
  }

  /** Runs a request, prefixing transport errors with the reference and the operation. */
  async wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RegistryError && !e.message.startsWith(this.label)) {
        const Cls = e.constructor as new (m: string, s?: number, r?: boolean) => RegistryError;
        throw new Cls(`${this.label}: ${what}: ${e.message}`, e.status, e.retryable);
      }
      throw e;
    }
  }
}

function statusText(status: number): string {
  const t: Record<number, string> = { 400: ' bad request', 401: ' unauthorized', 403: ' forbidden', 404: ' not found', 405: ' method not allowed', 416: ' range not satisfiable', 429: ' too many requests', 500: ' internal server error', 502: ' bad gateway', 503: ' service unavailable', 504: ' gateway timeout' };
  return t[status] ?? '';
}
