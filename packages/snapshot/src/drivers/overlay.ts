import { sys } from '../sys.js';
import { SnapshotError } from '../errors.js';
import { once, type UnionDriver, type UpperSpec } from './union-driver.js';
import type { Release } from '../types.js';

/**
 * Options every strata overlay mount carries: no inode index, no metadata-only copy-up, no redirects — so the
 * upper dir is exactly the overlay format the differ reads (a renamed lower dir gives EXDEV; tools copy).
 */
export const OVERLAY_OPTIONS = ['index=off', 'metacopy=off', 'redirect_dir=off'];

/** The kernel overlay driver, through native-overlay's mountOverlay. */
export class OverlayDriver implements UnionDriver {
  readonly name = 'overlay' as const;

  async mountUnion(target: string, lowers: string[], upper?: UpperSpec): Promise<Release> {
    const extra = [...OVERLAY_OPTIONS, ...(upper?.volatile ? ['volatile'] : [])];
    try {
      sys().mountOverlay(target, lowers, upper?.upper ?? null, upper?.work ?? null, extra);
    } catch (e) {
      throw new SnapshotError(`overlay mount at ${target} failed: ${(e as Error).message}`);
    }
    return once(async () => {
      try {
        sys().unmount(target, 0);
      } catch (e) {
        throw new SnapshotError(`unmount of ${target} failed: ${(e as Error).message}`);
      }
    });
  }
}
