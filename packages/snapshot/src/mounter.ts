import fs from 'node:fs';
import path from 'node:path';
import { bindMount } from './drivers/bind.js';
import { OverlayDriver } from './drivers/overlay.js';
import { UnionfsDriver } from './drivers/unionfs.js';
import type { UnionDriver } from './drivers/union-driver.js';
import { lowerDirs, type ChainLayer, type LowerLimits } from './lower-chain.js';
import type { Layout } from './layout.js';
import type { SnapshotRecord } from './metadata.js';
import type { Release } from './types.js';

/** Mounts snapshots by their record: a union of the parent chain (+ upper when active), or a bind of the copy. */
export class Mounter {
  private readonly live = new Map<string, number>();

  constructor(
    private readonly layout: Layout,
    private readonly limits: LowerLimits,
    private readonly unionfsBinary: string,
  ) {}

  /** How many mounts of key this process holds. */
  mountCount(key: string): number {
    return this.live.get(key) ?? 0;
  }

  private driver(rec: SnapshotRecord): UnionDriver {
    return rec.driver === 'unionfs' ? new UnionfsDriver(this.unionfsBinary) : new OverlayDriver();
  }

  /** Where a FUSE daemon serving rec writes its messages. */
  private log(rec: SnapshotRecord): string {
    return path.join(this.layout.layer(rec.id), 'unionfs.log');
  }

  /** Mounts rec at target; `chain` is its parent chain, top first. */
  async mount(rec: SnapshotRecord, chain: ChainLayer[], target: string): Promise<Release> {
    const { layout } = this;
    let release: Release;
    if (rec.driver === 'copy') {
      release = await bindMount(layout.fs(rec.id), target, rec.kind === 'view');
    } else {
      const lowers = await lowerDirs(layout, chain, this.limits);
      const empty = layout.empty(rec.id);
      fs.mkdirSync(empty, { recursive: true });
      if (rec.kind === 'active') {
        // The kernel refuses a work dir left by an earlier (volatile) mount; it holds nothing we need.
        fs.rmSync(layout.work(rec.id), { recursive: true, force: true });
        fs.mkdirSync(layout.work(rec.id));
        if (lowers.length === 0) lowers.push(empty);
        const volatile = rec.driver === 'overlay';
        release = await this.driver(rec).mountUnion(target, lowers, { upper: layout.diff(rec.id), work: layout.work(rec.id), volatile }, this.log(rec));
      } else {
        // Without an upper dir the kernel wants two lowers; empty dirs pad a short chain.
        const pad = [empty, path.join(layout.layer(rec.id), 'empty2')];
        fs.mkdirSync(pad[1]!, { recursive: true });
        while (lowers.length < 2) lowers.push(pad.shift()!);
        release = await this.driver(rec).mountUnion(target, lowers, undefined, this.log(rec));
      }
    }
    this.live.set(rec.key, this.mountCount(rec.key) + 1);
    let done = false;
    return async () => {
      if (done) return;
      await release();
      done = true;
      this.live.set(rec.key, this.mountCount(rec.key) - 1);
    };
  }
}
