import fs from 'node:fs';
import { native, MNT_DETACH } from '@strata/native-overlay';

/**
 * Removes a test's temp dir. A failed test may leave its own mounts under it: those are detached first,
 * deepest first, so the recursive delete never walks into a mounted snapshot (or leaves a mount behind).
 */
export function removeTestDir(dir: string): void {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      native().unmount(m, MNT_DETACH);
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
