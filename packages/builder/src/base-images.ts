import { NotFoundError, normaliseImageName, type Image, type LocalStore, type Platform } from '@strata/oci';
import { parseReference, pull } from '@strata/registry';
import type { ResolvedImage } from '@strata/planner';
import { BuildError } from './errors.js';

function platformOf(p: string): Platform {
  const [os, architecture, variant] = p.split('/');
  const out: Platform = { os: os || 'linux', architecture: architecture || 'amd64' };
  if (variant) out.variant = variant;
  return out;
}

/** Registries a build may pull from without TLS: only this machine. */
const isLoopback = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);

/**
 * Base images of a build: looked up in the local store, and pulled from a registry when missing (only from a
 * registry named in the reference; strata never reaches out to Docker Hub behind the user's back). With
 * `pullAlways` (`--pull`) every base image is fetched again first, Docker Hub included as the user asked: the
 * newest manifest its tag names, with only the blobs the store lacks. Resolved images are remembered by
 * manifest digest for the worker.
 */
export class BaseImages {
  private readonly byManifest = new Map<string, Image>();
  constructor(private readonly store: LocalStore, private readonly allowPull = true, private readonly pullAlways = false) {}

  /** The planner's ImageResolver. */
  resolve = async (ref: string, platform: string): Promise<ResolvedImage> => {
    const want = platformOf(platform);
    const img = await this.find(ref, want);
    const digest = await img.digest();
    const config = await img.config();
    // A single-platform image is not chosen by platform: one for another platform must not pass as this one
    // (an arm64-labelled image of amd64 binaries), as docker refuses it.
    const have = { os: config.os, architecture: config.architecture, variant: config.variant };
    if (have.os && have.architecture && (have.os !== want.os || have.architecture !== want.architecture || (have.variant && want.variant && have.variant !== want.variant))) {
      const name = (p: { os: string; architecture: string; variant?: string | undefined }) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');
      throw new BuildError(`the image is ${name(have)}, not the ${name(want)} this build is for (--platform)`);
    }
    this.byManifest.set(digest, img);
    return { digest, config };
  };

  /** The image a source op resolved to. */
  async byDigest(digest: string, ref: string): Promise<Image> {
    const img = this.byManifest.get(digest);
    if (!img) throw new BuildError(`image ${ref}: ${digest} was not resolved in this build`);
    return img;
  }

  private async find(ref: string, platform: Platform): Promise<Image> {
    if (this.pullAlways) return this.fetch(ref, platform);
    try {
      return await this.store.image(ref, platform);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    const parsed = (() => {
      try {
        return parseReference(ref);
      } catch {
        return undefined;
      }
    })();
    const explicitHost = parsed !== undefined && ref.includes('/') && /[.:]|^localhost$/.test(ref.split('/')[0]!);
    if (!this.allowPull || !parsed || !explicitHost) {
      throw new BuildError(`not found in the local store (strata pull or strata import it first)`);
    }
    return this.fetch(ref, platform);
  }

  /** Pulls `ref` (blobs the store has are not fetched again) and opens it from the store. */
  private async fetch(ref: string, platform: Platform): Promise<Image> {
    const parsed = parseReference(ref);
    const host = parsed.registry;
    const res = await pull(parsed, {
      store: this.store.content, platform, insecure: isLoopback(host),
      recordName: async (name, desc) => { this.store.names.set(normaliseImageName(name), desc); },
    } as Parameters<typeof pull>[1]);
    return this.store.image(ref, platform).catch(() => { throw new BuildError(`base image ${ref}: pulled ${res.manifest.digest} but cannot open it`); });
  }
}
