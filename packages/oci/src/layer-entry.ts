import type { Readable } from 'node:stream';

/**
 * One entry of a layer change set, the single in-system form shared by the differ (upper dir → entries),
 * the tar writer (entries → OCI tar) and the tar reader (OCI tar → entries). Whiteouts are their own kinds
 * here; `.wh.` names exist only inside tar streams.
 */
export type LayerEntryType =
  | 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'
  /** the path was deleted relative to the lower layers */
  | 'whiteout'
  /** the directory at path hides everything below it in lower layers (the dir itself is emitted as 'dir' too) */
  | 'opaque';

export interface LayerEntry {
  /** Relative, normalised, no leading '/' or './'; directories without a trailing slash. */
  path: string;
  type: LayerEntryType;
  /** Permission and special bits (07777), without the file type. */
  mode: number;
  uid: number;
  gid: number;
  /** Content size for 'file', else 0. */
  size: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Target of a symlink, or the (relative) path of a hardlink's first entry. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, binary values kept exactly. */
  xattrs?: Record<string, Buffer>;
  /** Opens the content of a 'file' entry. */
  open?: () => Readable;
  /**
   * Host path of a 'file' entry's content when it is a regular file that nothing writes while the layer is
   * made (a snapshot's upper dir): a writer on another thread may read it there instead of calling open().
   */
  contentPath?: string;
  /** The content of a 'file' entry when it is already in memory; writers use it instead of open(). */
  data?: Buffer;
  /**
   * Reads the whole content of a small 'file' entry at once; writers prefer it to open(), whose stream
   * costs far more than the read for a small file.
   */
  readSync?: () => Buffer;
  /** Optional user/group names for the tar header; empty unless set. */
  uname?: string;
  gname?: string;
}
