import type { Readable } from 'node:stream';
import type { Descriptor, Digest } from '@strata/oci';
import type { BundleRef } from './record.js';

/** How a blob reached a backend during an export. */
export type BlobPut = 'exists' | 'mounted' | 'uploaded';

/**
 * The storage a remote cache needs, whatever carries it (a registry, SFTP, a directory). Entries are written
 * once and never replaced (a second writer of the same key keeps the first entry); blobs are content-addressed;
 * pointers (the latest file set of a cache mount) are the only things that are replaced, atomically.
 */
export interface CacheBackend {
  /** What the user named (for warnings): `registry 127.0.0.1:5000/cache`, `sftp://u@h:22/p`, a directory. */
  readonly label: string;
  /** Checks that the backend is reachable and accepts us (one round trip); throws RemoteCacheError. */
  check(write: boolean): Promise<void>;
  /** The bytes of an entry, or undefined when there is none. */
  readEntry(key: string): Promise<Buffer | undefined>;
  /**
   * Writes an entry unless the key is present (returns false then); `blobs` are the blobs it names. `listed`:
   * a listing just showed the key absent, so a backend that must ask first (a registry) may skip asking.
   */
  writeEntry(key: string, bytes: Buffer, blobs: Descriptor[], listed?: boolean): Promise<boolean>;
  /** Layer blobs up to this many bytes travel inside their entry (0: every layer is a blob of its own). */
  readonly inlineMax: number;
  /** Stores an export bundle under `name` (immutable, like entries). */
  writeBundle(name: string, bytes: Buffer): Promise<BundleRef>;
  /** The bytes of a bundle (by ref from an entry, or by name from a listing), or undefined when gone. */
  readBundle(ref: BundleRef | string): Promise<Buffer | undefined>;
  /** Every bundle name, oldest first. */
  listBundles(): Promise<string[]>;
  /** Removes a bundle (prune). */
  deleteBundle(name: string): Promise<void>;
  /** Every entry key. */
  listEntries(): Promise<string[]>;
  /** Removes an entry (prune). */
  deleteEntry(key: string): Promise<void>;
  /** Records that entries were used at `when` (a writer's export after hits): one write where it can. */
  markHits(keys: string[], when: Date): Promise<void>;
  /** When each recorded entry was last hit (ms since epoch). */
  lastHits(): Promise<Map<string, number>>;
  /** Forgets hit records older than `before` (prune: they can no longer keep anything alive). */
  pruneHits(before: number): Promise<void>;
  hasBlob(digest: Digest): Promise<boolean>;
  /** The raw bytes of a blob (the caller verifies them). */
  readBlob(desc: Descriptor): Promise<Readable>;
  /** Stores a blob unless present; `mountFrom` are same-registry repositories that may hold it. */
  writeBlob(desc: Descriptor, open: () => Promise<Readable>, mountFrom?: string[]): Promise<BlobPut>;
  /** Removes a blob no entry needs any more (prune); a backend that cannot leaves it to its own GC. */
  deleteBlob(digest: Digest): Promise<boolean>;
  /** A named, replaceable small document (cache-mount file-set pointers), or undefined. */
  readPointer(name: string): Promise<Buffer | undefined>;
  /** Replaces a pointer atomically; `blobs` are the blobs it keeps alive. */
  writePointer(name: string, bytes: Buffer, blobs: Descriptor[]): Promise<void>;
  /** Closes connections. */
  close(): Promise<void>;
}

/** The hex part of a sha256 key or digest. */
export function hexOf(keyOrDigest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(keyOrDigest)) throw new Error(`not a sha256 digest: ${keyOrDigest}`);
  return keyOrDigest.slice(7);
}
