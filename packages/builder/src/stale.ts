import { spawnSync } from 'node:child_process';
import { lstat, readdir, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { closeSync, mkdirSync, openSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { Snapshotter } from '@strata/snapshot';

/**
 * Scratch names carry the pid of the process that made them (`step-<pid>-<random>`), so a later process can
 * tell a dead owner's leftovers from a live neighbour's: several strata processes share one root.
 */
export const scratchName = (kind: string): string => `${kind}-${process.pid}-`;

const OWNED = /^(?:step|view|unpack|run|empty|output|download|exec|stdin|ctxview)-(\d+)-/;

/**
 * Scratch that holds plain files only, never a mount point of ours: a RUN's executor scratch (its generated
 * /etc files), a context unpacked from standard input, a context view for RUN --mount (context-view.ts), an
 * output made before it is written or streamed (outputs.ts).
 */
const EXEC_SCRATCH = /^(?:exec|stdin|ctxview|output)-\d+-/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mount points at or below `dir`, deepest first (mountinfo field 5, octal escapes decoded). */
async function mountsBelow(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text.split('\n').map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  return points.filter((p) => p === dir || p.startsWith(dir + '/')).sort((a, b) => b.length - a.length);
}

/**
 * Cleans what a killed strata process left under the root: mounts of its scratch dirs (lazily unmounted),
 * the empty dirs, and its uncommitted snapshots. Committed snapshots and blobs are never touched here: they
 * were complete before they became visible. Returns how many leftovers were removed.
 */
export async function reapStale(root: string, snap: Snapshotter): Promise<number> {
  let n = 0;
  const tmp = path.join(root, 'tmp');
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const m = OWNED.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = path.join(tmp, name);
    for (const mp of await mountsBelow(dir)) spawnSync('umount', ['-l', mp], { stdio: 'ignore' });
    // rmdir, never a recursive delete: a directory that is still a mount must not be emptied through it.
    // An executor scratch dir is the exception once nothing below it is mounted: it only holds files.
    const isFile = (await lstat(dir).catch(() => undefined))?.isFile() ?? false;
    const scratch = EXEC_SCRATCH.test(name) && (await mountsBelow(dir)).length === 0;
    const remove = isFile ? unlink(dir) : scratch ? rm(dir, { recursive: true, force: true }) : rmdir(dir);
    if (await remove.then(() => true, () => false)) n++;
  }
  // Reading every snapshot record grows with the root (thousands on a long-lived CI runner): done when a dead
  // process's scratch was just found, else at most every few minutes. A leftover uncommitted snapshot only
  // holds disk space until then; its mounts were under tmp/, handled above on every call.
  // A dotfile among the snapshot records (their listing skips it), not in tmp/, which is for leftovers.
  const marker = path.join(root, 'snapshots', '.reaped');
  const last = statSync(marker, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (n === 0 && Date.now() - last < SNAPSHOT_SCAN_EVERY_MS) return n;
  for (const s of await snap.list()) {
    const m = s.kind === 'committed' ? null : OWNED.exec(s.key);
    if (!m || alive(Number(m[1]))) continue;
    await snap.remove(s.key).then(() => n++, () => {});
  }
  try {
    mkdirSync(path.dirname(marker), { recursive: true });
    closeSync(openSync(marker, 'a'));
    const now = new Date();
    utimesSync(marker, now, now);
  } catch {
    // Without the marker the next build scans again: slower, never wrong.
  }
  return n;
}

/** How often a build reads every snapshot record to find dead processes' uncommitted ones. */
const SNAPSHOT_SCAN_EVERY_MS = 5 * 60 * 1000;
