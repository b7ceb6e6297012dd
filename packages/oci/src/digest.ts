import { createHash } from 'node:crypto';
import { OciError } from './errors.js';

/** A content digest, always `sha256:<64 lowercase hex>`. Branded so a plain string is not mistaken for one. */
export type Digest = string & { readonly __digest: unique symbol };

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** True when `s` is a well-formed sha256 digest. */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Parses and validates a digest string; throws OciError naming `where` when malformed. */
export function parseDigest(s: string, where = 'digest'): Digest {
  if (!isDigest(s)) throw new OciError(`${where}: invalid digest ${JSON.stringify(s)} (want sha256:<64 hex>)`);
  return s;
}

/** sha256 digest of a buffer or string. */
export function digestOf(data: Buffer | string): Digest {
  return ('sha256:' + createHash('sha256').update(data).digest('hex')) as Digest;
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}
