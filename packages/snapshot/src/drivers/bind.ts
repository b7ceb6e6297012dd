import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SnapshotError } from '../errors.js';
import { once } from './union-driver.js';
import type { Release } from '../types.js';

const run = promisify(execFile);

/**
 * The copy driver's mount: a bind mount of its plain tree (read-only for views). native-overlay's binding
 * mounts only overlays, so this uses mount(8); the tree is also usable in place through Mountable.path.
 */
export async function bindMount(source: string, target: string, readonly: boolean): Promise<Release> {
  try {
    await run('mount', ['--bind', source, target]);
    if (readonly) await run('mount', ['-o', 'remount,bind,ro', target]);
  } catch (e) {
    throw new SnapshotError(`bind mount of ${source} at ${target} failed: ${String((e as { stderr?: string }).stderr ?? e).trim().split('\n')[0]}`);
  }
  return once(async () => {
    await run('umount', [target]).catch((e: { stderr?: string }) => {
      throw new SnapshotError(`unmount of ${target} failed: ${String(e.stderr ?? e).trim().split('\n')[0]}`);
    });
  });
}
