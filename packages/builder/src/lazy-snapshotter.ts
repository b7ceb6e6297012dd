import type { Readable } from 'node:stream';
import type { LayerEntry } from '@strata/oci';
import type { DriverName, Mountable, SnapshotInfo, Snapshotter, Usage } from '@strata/snapshot';

/**
 * A Snapshotter opened on first use. Opening probes the drivers (a test mount of the kernel overlay) and
 * the build's first file step also reaps dead processes' snapshots (reading every snapshot record); a fully
 * cached build needs neither, and that work was a third of its time.
 */
export class LazySnapshotter implements Snapshotter {
  private opening: Promise<Snapshotter> | undefined;
  private inner: Snapshotter | undefined;

  constructor(private readonly open: () => Promise<Snapshotter>) {}

  /** The opened snapshotter, or undefined when nothing needed one yet. */
  get opened(): Snapshotter | undefined {
    return this.inner;
  }

  private get(): Promise<Snapshotter> {
    this.opening ??= this.open().then((s) => (this.inner = s));
    return this.opening;
  }

  get driverName(): DriverName {
    if (this.inner === undefined) throw new Error('internal: snapshot driver asked before the snapshotter was opened');
    return this.inner.driverName;
  }

  get reason(): string {
    return this.inner?.reason ?? 'not opened';
  }

  async prepare(key: string, parent?: string): Promise<Mountable> {
    return (await this.get()).prepare(key, parent);
  }
  async view(key: string, parent?: string): Promise<Mountable> {
    return (await this.get()).view(key, parent);
  }
  async mounts(key: string): Promise<Mountable> {
    return (await this.get()).mounts(key);
  }
  async commit(name: string, key: string): Promise<void> {
    return (await this.get()).commit(name, key);
  }
  async remove(key: string): Promise<void> {
    return (await this.get()).remove(key);
  }
  async usage(key: string): Promise<Usage> {
    return (await this.get()).usage(key);
  }
  async stat(key: string): Promise<SnapshotInfo> {
    return (await this.get()).stat(key);
  }
  async list(): Promise<SnapshotInfo[]> {
    return (await this.get()).list();
  }
  async *changes(key: string): AsyncIterable<LayerEntry> {
    yield* (await this.get()).changes(key);
  }
  async diff(key: string): Promise<Readable> {
    return (await this.get()).diff(key);
  }
  async apply(key: string, tar: Readable): Promise<void> {
    return (await this.get()).apply(key, tar);
  }
  async cleanup(graceMs?: number): Promise<{ layers: number; links: number; temps: number; abandoned: number }> {
    return (await this.get()).cleanup(graceMs);
  }
  async applyEntries(key: string, entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>): Promise<void> {
    return (await this.get()).applyEntries(key, entries);
  }
}
