import { readFileSync } from 'node:fs';
import tls from 'node:tls';

/**
 * Extra trusted CA certificates for TLS, read when the first TLS connection is made. Node parses
 * NODE_EXTRA_CA_CERTS eagerly at startup (38 ms of every process here, most builds never open TLS), so the
 * `strata` launcher moves it to STRATA_EXTRA_CA_CERTS and this module honours it the same way: Node's own
 * roots plus the file's certificates; an unreadable file is warned about and ignored, as Node does.
 */
let cached: string[] | null | undefined;

/** The CA list to verify servers with, or undefined for Node's default (which already holds any extra CAs). */
export function trustedCertificates(): string[] | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const file = process.env.STRATA_EXTRA_CA_CERTS;
  cached = null;
  if (file === undefined || file === '') return undefined;
  try {
    const pem = readFileSync(file, 'utf8');
    const extra = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    cached = [...tls.rootCertificates, ...extra];
  } catch (e) {
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
  }
  return cached ?? undefined;
}
