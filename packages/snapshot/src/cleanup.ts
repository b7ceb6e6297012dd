import fs from 'node:fs/promises';
import path from 'node:path';
import { errCode } from './errors.js';
import { readMounts } from './mountinfo.js';
import type { Layout } from './layout.js';

/** What cleanup removed. */
export interface CleanupResult {
  layers: number;
  links: number;
  temps: number;
  /** Active snapshots and views whose process died (filled in by the snapshotter). */
  abandoned: number;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return [];
    throw e;
  }
}

async function oldEnough(p: string, cutoffMs: number): Promise<boolean> {
  const st = await fs.lstat(p).catch(() => undefined);
  return st !== undefined && st.mtimeMs < cutoffMs;
}

/**
 * Removes what a killed process left: layer dirs no record names, short links to nothing, and tmp/ entries —
 * only those older than `graceMs`, because another process sharing the root may be creating them right now,
 * and never anything that holds a mount.
 */
export async function cleanupOrphans(layout: Layout, liveIds: Set<string>, graceMs: number): Promise<CleanupResult> {
  const cutoff = Date.now() - graceMs;
  // A long build step may be mounted under tmp/ right now; never delete through a mount.
  const mountPoints = (await readMounts()).map((m) => m.mountPoint);
  const holdsMount = (p: string) => mountPoints.some((m) => m === p || m.startsWith(`${p}/`));
  const result: CleanupResult = { layers: 0, links: 0, temps: 0, abandoned: 0 };
  for (const id of await entries(layout.layers)) {
    if (liveIds.has(id) || holdsMount(layout.layer(id)) || !(await oldEnough(layout.layer(id), cutoff))) continue;
    const trash = path.join(layout.tmp, `trash-${id}`);
    await fs.rename(layout.layer(id), trash).catch(() => undefined);
    await fs.rm(trash, { recursive: true, force: true });
    result.layers++;
  }
  for (const short of await entries(layout.links)) {
    const link = layout.link(short);
    if ((await fs.stat(link).catch(() => undefined)) || !(await oldEnough(link, cutoff))) continue;
    await fs.rm(link, { force: true });
    result.links++;
  }
  for (const t of await entries(layout.tmp)) {
    const p = path.join(layout.tmp, t);
    if (holdsMount(p) || !(await oldEnough(p, cutoff))) continue;
    await fs.rm(p, { recursive: true, force: true });
    result.temps++;
  }
  return result;
}
