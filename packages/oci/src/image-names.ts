import { OciError } from './errors.js';

/** A malformed image name or reference. */
export class InvalidReferenceError extends OciError {
  override name = 'InvalidReferenceError';
}

const NAME_RE = /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

/**
 * The name under which the local store keeps an image: `repo:tag` with `:latest` added when no tag is given,
 * and Docker Hub's `docker.io/library/` dropped, as `docker images` shows them. `repo@sha256:…` is kept.
 */
export function normaliseImageName(ref: string): string {
  let r = ref.trim();
  if (r === '') throw new InvalidReferenceError('empty image name');
  const at = r.indexOf('@');
  let digest = '';
  if (at >= 0) {
    digest = r.slice(at);
    r = r.slice(0, at);
    if (!/^@sha256:[a-f0-9]{64}$/.test(digest)) throw new InvalidReferenceError(`${ref}: invalid digest`);
  }
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  let repo = r;
  let tag = '';
  if (colon > slash) {
    repo = r.slice(0, colon);
    tag = r.slice(colon + 1);
    if (!TAG_RE.test(tag)) throw new InvalidReferenceError(`${ref}: invalid tag ${JSON.stringify(tag)}`);
  }
  for (const p of ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/']) {
    if (repo.startsWith(p)) {
      repo = repo.slice(p.length);
      break;
    }
  }
  if (!NAME_RE.test(repo)) throw new InvalidReferenceError(`${ref}: invalid repository name ${JSON.stringify(repo)}`);
  if (digest) return tag ? `${repo}:${tag}${digest}` : `${repo}${digest}`;
  return `${repo}:${tag || 'latest'}`;
}

/** Splits a normalised name into repository and tag (tag '<none>' for digest-only names). */
export function splitImageName(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  if (colon > slash) return { repository: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repository: base, tag: '<none>' };
}
