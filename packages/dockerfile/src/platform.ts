/**
 * Platform strings (`os/arch[/variant]`) and BuildKit's predefined platform ARGs. Normalisation follows
 * containerd's platforms.Normalize (x86_64 → amd64, aarch64 → arm64, arm → arm/v7, arm64/v8 → arm64).
 */
import { DockerfileError } from './errors.js';
import type { PlatformArgs } from './types.js';

/** A parsed, normalised platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant: string;
}

const ARCH_ALIASES: Record<string, [string, string?]> = {
  x86_64: ['amd64'], 'x86-64': ['amd64'], amd64: ['amd64'], aarch64: ['arm64'], arm64: ['arm64'],
  i386: ['386'], i686: ['386'], '386': ['386'], armhf: ['arm', 'v7'], armel: ['arm', 'v6'],
};

/** Parses and normalises `os/arch[/variant]` (os defaults to linux when only an arch is given). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9_.-]+$/.test(p))) {
    throw new DockerfileError(`invalid platform "${text}": expected os/arch[/variant]`);
  }
  let [os, arch, variant] = parts.length === 1 ? ['linux', parts[0]!, ''] : [parts[0]!, parts[1]!, parts[2] ?? ''];
  const alias = Object.hasOwn(ARCH_ALIASES, arch) ? ARCH_ALIASES[arch] : undefined;
  if (alias) {
    arch = alias[0];
    if (alias[1] && !variant) variant = alias[1];
  }
  if (os === 'macos') os = 'darwin';
  if (arch === 'arm' && !variant) variant = 'v7';
  if (arch === 'arm' && /^[5-8]$/.test(variant)) variant = `v${variant}`;
  if (arch === 'arm64' && (variant === 'v8' || variant === '8')) variant = '';
  return { os, architecture: arch, variant };
}

/** `os/arch[/variant]` of a platform. */
export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64', arm64: 'arm64', arm: 'arm/v7', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
  loong64: 'loong64', mips64el: 'mips64le',
};

/** The platform this process runs on, as BuildKit would report it for a Linux host. */
export function hostPlatform(): string {
  return `linux/${NODE_ARCH[process.arch] ?? process.arch}`;
}

/**
 * The predefined ARGs for a target platform and a build platform (both default to the host):
 * TARGETPLATFORM/OS/ARCH/VARIANT and BUILDPLATFORM/OS/ARCH/VARIANT.
 */
export function platformArgs(target?: string, build?: string): PlatformArgs {
  const b = parsePlatform(build ?? hostPlatform());
  const t = target ? parsePlatform(target) : b;
  return {
    TARGETPLATFORM: formatPlatform(t), TARGETOS: t.os, TARGETARCH: t.architecture, TARGETVARIANT: t.variant,
    BUILDPLATFORM: formatPlatform(b), BUILDOS: b.os, BUILDARCH: b.architecture, BUILDVARIANT: b.variant,
  };
}

/** Proxy variables BuildKit accepts as build args without an ARG declaration (and keeps out of history). */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy',
  'ALL_PROXY', 'all_proxy',
];
