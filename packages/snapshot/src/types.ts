import type { Readable } from 'node:stream';
import type { LayerEntry } from '@strata/oci';

/** The three snapshot drivers, in the order they are tried. */
export type DriverName = 'overlay' | 'unionfs' | 'copy';

/** active: writable, from prepare(); view: read-only, from view(); committed: immutable, may be a parent. */
export type SnapshotKind = 'active' | 'view' | 'committed';

/** What `stat` and `list` report about one snapshot. */
export interface SnapshotInfo {
  /** The key (active, view) or name (committed). */
  key: string;
  kind: SnapshotKind;
  /** Name of the committed parent snapshot, if any. */
  parent?: string;
  /** Directory id under layers/. */
  id: string;
  /** The driver that created it. */
  driver: DriverName;
  /** Creation time, ISO 8601. */
  created: string;
}

/** Disk use of one snapshot's own layer (not its parents). */
export interface Usage {
  /** Bytes of file data (block-rounded sizes are not used, so reflinked copies count in full). */
  size: number;
  /** Number of filesystem objects (files, dirs, links, whiteouts). */
  inodes: number;
}

/** A release function: unmounts and frees what mount() set up. Safe to call twice. */
export type Release = () => Promise<void>;

/** Something that can be mounted: the rootfs of a prepared or viewed snapshot. */
export interface Mountable {
  /** The snapshot key this mounts. */
  readonly key: string;
  readonly readonly: boolean;
  /** Driver that will perform the mount. */
  readonly driver: DriverName;
  /**
   * A directory holding the snapshot's tree that can be used in place without a mount, when the driver has
   * one (copy driver; for a view, callers must not write to it); undefined for union drivers.
   */
  readonly path?: string;
  /**
   * Where an active snapshot's writes land (overlay: the upper dir; copy: its tree), when writing there is
   * the same as writing through the mount; undefined for views and for unionfs (whose daemon keeps owners
   * its own way). Only between release and commit, and only below a directory that the mount created
   * itself (no directory of the parent chain under it, or an opaque one): such a subtree holds nothing but
   * what is written into it, and the kernel's per-file overlay work is skipped (a small file's create and
   * write cost a third more through an overlay here).
   */
  readonly upper?: string;
  /** Mounts the snapshot at target (an existing directory). */
  mount(target: string): Promise<Release>;
}

/** The snapshot store (DESIGN §3): prepare/view/commit/remove plus the differ and applier. */
export interface Snapshotter {
  /** The driver chosen for this root. */
  readonly driverName: DriverName;
  /** Why that driver was chosen, one line for verbose output. */
  readonly reason: string;
  /** Creates a writable snapshot over the committed parent. */
  prepare(key: string, parent?: string): Promise<Mountable>;
  /** Creates a read-only snapshot of the committed parent. */
  view(key: string, parent?: string): Promise<Mountable>;
  /** The mountable of an existing active snapshot or view. */
  mounts(key: string): Promise<Mountable>;
  /** Makes the active snapshot `key` durable and immutable under `name`; `key` stops existing. */
  commit(name: string, key: string): Promise<void>;
  /** Removes a snapshot; a committed one only when no snapshot names it as parent. */
  remove(key: string): Promise<void>;
  /** Disk use of the snapshot's own layer. */
  usage(key: string): Promise<Usage>;
  /** Metadata of one snapshot. */
  stat(key: string): Promise<SnapshotInfo>;
  /** Every snapshot under the root. */
  list(): Promise<SnapshotInfo[]>;
  /** The change set of a snapshot against its parent, sorted, whiteouts as their own kinds. */
  changes(key: string): AsyncIterable<LayerEntry>;
  /** The change set as an uncompressed OCI layer tar. */
  diff(key: string): Promise<Readable>;
  /** Applies an uncompressed OCI layer tar to an active snapshot (unmounted). */
  apply(key: string, tar: Readable): Promise<void>;
  /**
   * Removes what killed processes left under the root (their active snapshots and views, layer dirs without
   * a record, dangling short links, temp files), only when older than graceMs (default 1 h).
   */
  cleanup(graceMs?: number): Promise<{ layers: number; links: number; temps: number; abandoned: number }>;
  /** Applies an already-parsed change set to an active snapshot (unmounted). */
  applyEntries(key: string, entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>): Promise<void>;
}
