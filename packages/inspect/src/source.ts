import { existsSync } from 'node:fs';
import { LocalStore, NotFoundError, openStoreImage, pickImage, readImageArchive, readOciLayout, TarFile, type Digest, type Image } from '@strata/oci';
import { connect, isLoopbackHost, parseReference, referenceTarget, RemoteImage } from '@strata/registry';
import { ImageRefError, InspectError, oneLine } from './errors.js';

/** Where images are looked for. */
export interface SourceOptions {
  /** State root of the local store (default: $STRATA_ROOT, else /var/lib/strata). */
  root?: string;
  /** Plain http / unverified TLS for a registry that is not on this machine (loopback registries get it anyway). */
  insecure?: boolean;
}

/** The kinds of reference `openImage` accepts. */
export type SourceKind = 'local' | 'oci' | 'docker-archive' | 'registry';

/** A reference split into its source kind and the rest. */
export interface ParsedSource { kind: SourceKind; target: string }

/**
 * Reads the transport prefix of a reference: `oci:DIR[:TAG]`, `docker-archive:FILE`, `docker://REF` (registry);
 * anything else is a local store name, or a registry reference when it names a registry host.
 */
export function parseSource(ref: string): ParsedSource {
  if (ref.startsWith('oci:')) return { kind: 'oci', target: ref.slice(4) };
  if (ref.startsWith('docker-archive:')) return { kind: 'docker-archive', target: ref.slice('docker-archive:'.length) };
  if (ref.startsWith('docker://')) return { kind: 'registry', target: ref.slice('docker://'.length) };
  if (ref.startsWith('registry:')) return { kind: 'registry', target: ref.slice('registry:'.length) };
  return { kind: 'local', target: ref };
}

/** True when a plain reference's first component is a registry host (has a dot or a port, or is localhost). */
function namesRegistryHost(ref: string): boolean {
  const first = ref.split('/')[0]!;
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/** Opens an image from any source; errors are one line naming the reference. */
export async function openImage(ref: string, opts: SourceOptions = {}): Promise<Image> {
  const src = parseSource(ref);
  if (!src.target) throw new ImageRefError(`${ref}: empty reference`);
  try {
    switch (src.kind) {
      case 'registry': return openRegistry(src.target, opts);
      case 'oci': return await openLayout(src.target);
      case 'docker-archive': return await openArchive(src.target);
      case 'local': {
        const store = new LocalStore(opts.root);
        try {
          // The image reads blobs from the content store only; the names database can close at once.
          return await store.image(src.target);
        } catch (e) {
          // A previous build of a tag (NAME@sha256:… or the bare digest) is no longer named, but its
          // manifest is still a blob in the content store.
          const digest = /(?:^|@)(sha256:[a-f0-9]{64})$/.exec(src.target)?.[1] as Digest | undefined;
          if (e instanceof NotFoundError && digest && (await store.content.has(digest))) {
            const raw = await store.content.readBuffer(digest);
            return await openStoreImage(store.content, { mediaType: '', digest, size: raw.length }, ref);
          }
          if (e instanceof NotFoundError && namesRegistryHost(src.target)) return openRegistry(src.target, opts);
          if (e instanceof NotFoundError) throw new ImageRefError(`${ref}: no such image in the local store (for a registry image write docker://${ref})`);
          throw e;
        } finally {
          store.close();
        }
      }
    }
  } catch (e) {
    if (e instanceof InspectError) throw e;
    const msg = oneLine(e);
    throw new ImageRefError(msg.includes(src.target) ? msg : `${ref}: ${msg}`);
  }
}

function openRegistry(target: string, opts: SourceOptions): Image {
  const r = parseReference(target);
  const client = connect(r, { insecure: opts.insecure === true || isLoopbackHost(r.registry) });
  return new RemoteImage(client, referenceTarget(r));
}

/**
 * Splits `PATH[:NAME]` as skopeo does: the whole text when it names an existing file or directory, else at
 * the last colon.
 */
export function splitPathRef(target: string): { path: string; name?: string } {
  const colon = target.lastIndexOf(':');
  if (existsSync(target) || colon <= 0) return { path: target };
  return { path: target.slice(0, colon), name: target.slice(colon + 1) };
}

async function openLayout(target: string): Promise<Image> {
  const { path, name } = splitPathRef(target);
  return pickImage(readOciLayout(path), name, `oci:${path}`).open();
}

async function openArchive(target: string): Promise<Image> {
  const { path, name } = splitPathRef(target);
  const images = readImageArchive(TarFile.open(path), `docker-archive:${path}`);
  if (name === undefined) return pickImage(images, undefined, `docker-archive:${path}`).open();
  const hit = images.find((i) => i.names?.includes(name) || i.name === name || i.ref === name);
  if (!hit) throw new ImageRefError(`docker-archive:${path}: no image named ${name}`);
  return hit.open();
}
