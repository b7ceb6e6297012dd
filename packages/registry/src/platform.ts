import type { Descriptor, Platform } from '@strata/oci';
import { RegistryError } from './errors.js';

/** linux/amd64: what `strata pull` picks from an index unless told otherwise. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Parses `os/arch[/variant]` (as `--platform` takes it). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new RegistryError(`invalid platform ${JSON.stringify(s)} (want os/arch[/variant], e.g. linux/arm64)`);
  }
  return { os: parts[0]!.toLowerCase(), architecture: parts[1]!.toLowerCase(), ...(parts[2] ? { variant: parts[2].toLowerCase() } : {}) };
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function normalVariant(p: Platform): string | undefined {
  // arm64's only variant is v8, and amd64's default v1: an absent variant means those.
  if (p.architecture === 'arm64') return p.variant ?? 'v8';
  if (p.architecture === 'amd64') return p.variant && p.variant !== 'v1' ? p.variant : undefined;
  return p.variant;
}

/**
 * The manifest of an index for `want`: same os and architecture, and the same variant when `want` names one.
 * Attestation manifests (platform unknown/unknown) never match.
 */
export function selectPlatform(manifests: Descriptor[], want: Platform, label: string): Descriptor {
  const candidates = manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const exact = want.variant ? candidates.filter((m) => normalVariant(m.platform!) === normalVariant(want)) : candidates;
  const pick = exact[0] ?? (want.variant ? undefined : candidates[0]);
  if (!pick) {
    const have = manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!));
    throw new RegistryError(`${label}: no manifest for platform ${formatPlatform(want)} (index has ${have.join(', ') || 'none'})`);
  }
  return pick;
}
