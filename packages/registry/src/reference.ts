import { isDigest, type Digest } from '@strata/oci';
import { ReferenceError } from './errors.js';

/** The registry a name without a host part refers to, as Docker does. */
export const DEFAULT_REGISTRY = 'docker.io';
/** Where docker.io's API actually lives. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** A parsed image reference: `[registry/]repository[:tag][@digest]`. */
export interface Reference {
  /** Host[:port] as written (docker.io when absent). */
  registry: string;
  /** Path inside the registry, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

/**
 * Parses a docker-style reference. The first path part is a registry when it has a dot or a colon or is
 * `localhost` (Docker's rule); a bare name gets `docker.io/library/`; no tag and no digest means `latest`.
 */
export function parseReference(input: string, defaultTag = 'latest'): Reference {
  const bad = (why: string) => new ReferenceError(`invalid image reference ${JSON.stringify(input)}: ${why}`);
  let rest = input.trim();
  if (!rest) throw bad('empty');
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad(`bad digest ${JSON.stringify(d)}`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`bad tag ${JSON.stringify(tag)}`);
  }
  let registry = DEFAULT_REGISTRY;
  const parts = rest.split('/');
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost' || /^\[/.test(parts[0]!))) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) throw bad(`bad registry host ${JSON.stringify(registry)}`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API_HOST) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  for (const p of parts) if (!COMPONENT.test(p)) throw bad(`bad name component ${JSON.stringify(p)}`);
  const repository = parts.join('/');
  if (repository.length > 255) throw bad('name longer than 255 characters');
  if (!tag && !digest) tag = defaultTag;
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The full reference string: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? ':' + ref.tag : ''}${ref.digest ? '@' + ref.digest : ''}`;
}

/** What to ask the registry for: the digest when known, else the tag. */
export function referenceTarget(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The host the HTTP API is served from (docker.io's lives elsewhere). */
export function apiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/** True for hosts that are this machine (http may be allowed there with --insecure). */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
