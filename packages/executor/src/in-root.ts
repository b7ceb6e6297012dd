import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Resolves `p` inside `root` the way the container will see it: symlinks are followed, but absolute
 * targets and `..` stay inside root. Returns the host path; missing components are kept as they are.
 */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  const todo = p.split('/').filter((c) => c && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '..') { done.pop(); continue; }
    const host = path.join(root, ...done, c);
    // Sync: a few lstats per step on a local rootfs; a thread-pool round trip each would cost more.
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new Error(`too many symlinks resolving ${p} in ${root}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((x) => x && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return path.join(root, ...done);
}
