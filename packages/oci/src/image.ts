import type { Readable } from 'node:stream';
import type { Digest } from './digest.js';
import type { Descriptor } from './descriptor.js';
import type { ImageConfig, Manifest } from './types.js';

/**
 * A layer: every method may fail, and a lazy source (a registry) reads nothing until a stream is asked for.
 */
export interface Layer {
  digest(): Promise<Digest>;
  diffId(): Promise<Digest>;
  size(): Promise<number>;
  mediaType(): Promise<string>;
  compressed(): Promise<Readable>;
  uncompressed(): Promise<Readable>;
}

/** An image: raw manifest and config bytes are the source of truth; digests are taken over them. */
export interface Image {
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<Manifest>;
  rawConfig(): Promise<Buffer>;
  config(): Promise<ImageConfig>;
  layers(): Promise<Layer[]>;
  digest(): Promise<Digest>;
  /** The manifest's descriptor (media type, digest, size). */
  descriptor(): Promise<Descriptor>;
}
