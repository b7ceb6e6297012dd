import fs from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { materialize } from './copy-tree.js';
import { createShortLink } from './short-link.js';
import { fsyncDir } from './atomic-file.js';
import { errCode } from './errors.js';
import { sys } from './sys.js';
import type { Layout } from './layout.js';

/** One committed layer of a parent chain. */
export interface ChainLayer {
  id: string;
  short: string;
}

/** Limits a mount's lower-dir list must respect. */
export interface LowerLimits {
  /** Most lower dirs in one mount (the kernel's OVL_MAX_STACK is 500). */
  maxLowers: number;
  /** Bytes the `lowerdir=` value may use (mount options must fit one page with the rest). */
  maxBytes: number;
}

/** The kernel's limits, leaving room in the page for upperdir, workdir and flags. */
export function defaultLimits(layout: Layout): LowerLimits {
  const fixed = `,upperdir=${layout.layers}/${'x'.repeat(26)}/diff,workdir=${layout.layers}/${'x'.repeat(26)}/work,volatile,index=off,metacopy=off,redirect_dir=off`;
  return { maxLowers: 500, maxBytes: 4095 - 'lowerdir='.length - fixed.length };
}

/** Whether these lower dirs fit the limits. */
function fits(dirs: string[], limits: LowerLimits): boolean {
  return dirs.length <= limits.maxLowers && dirs.join(':').length <= limits.maxBytes;
}

/**
 * The lower dirs (short links, top first) for a parent chain (top first). When the chain does not fit one
 * mount, the bottom part is merged into a flattened layer under flat/ (built once, shared by every chain
 * with the same bottom, by any process) and stands in for it.
 */
export async function lowerDirs(layout: Layout, chain: ChainLayer[], limits: LowerLimits): Promise<string[]> {
  for (const l of chain) await ensureLink(layout, l);
  const dirs = chain.map((l) => layout.link(l.short));
  if (fits(dirs, limits)) return dirs;
  let keep = Math.min(chain.length - 2, limits.maxLowers - 1);
  const flatLink = layout.link('X'.repeat(10));
  while (keep > 0 && !fits([...dirs.slice(0, keep), flatLink], limits)) keep--;
  if (keep < 0) keep = 0;
  const flat = await flattened(layout, chain.slice(keep));
  return [...dirs.slice(0, keep), layout.link(flat)];
}

/** Recreates a layer's short link if something deleted it (the layer dir is the truth; the link is an index). */
async function ensureLink(layout: Layout, l: ChainLayer): Promise<void> {
  const link = layout.link(l.short);
  // Sync: every mount checks its whole chain; an lstat is cheaper than a thread-pool round trip.
  if (lstatSync(link, { throwIfNoEntry: false })) return;
  await fs.mkdir(layout.links, { recursive: true });
  await fs.symlink(path.relative(layout.links, layout.diff(l.id)), link).catch((e) => {
    if (errCode(e) !== 'EEXIST') throw e;
  });
}

/** Short name of the flattened layer for `bottom` (top first), building it if missing. */
async function flattened(layout: Layout, bottom: ChainLayer[]): Promise<string> {
  const hash = createHash('sha256').update(bottom.map((l) => l.id).join('\n')).digest('hex').slice(0, 32);
  const final = path.join(layout.flat, hash);
  const existing = await readShort(final);
  if (existing) return existing;
  await fs.mkdir(layout.flat, { recursive: true });
  await fs.mkdir(layout.tmp, { recursive: true });
  const tmp = path.join(layout.tmp, `flat-${hash}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(path.join(tmp, 'diff'), { recursive: true });
  try {
    await materialize(bottom.map((l) => layout.diff(l.id)), path.join(tmp, 'diff'));
    await fs.writeFile(path.join(tmp, 'ids'), bottom.map((l) => l.id).join('\n') + '\n');
    sys().syncfs(tmp);
    const short = createShortLink(layout.links, path.join(final, 'diff'));
    await fs.writeFile(path.join(tmp, 'link'), short);
    try {
      await fs.rename(tmp, final);
    } catch (e) {
      // Another process built the same flattened layer first: use theirs.
      await fs.rm(layout.link(short), { force: true });
      if (errCode(e) !== 'ENOTEMPTY' && errCode(e) !== 'EEXIST') throw e;
      const theirs = await readShort(final);
      if (!theirs) throw e;
      return theirs;
    }
    await fsyncDir(layout.flat);
    return short;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function readShort(flatDir: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(path.join(flatDir, 'link'), 'utf8')).trim();
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Removes the flattened layers built from layer `id` (called when that layer is removed). */
export async function dropFlattened(layout: Layout, id: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(layout.flat);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw e;
  }
  for (const n of names) {
    const dir = path.join(layout.flat, n);
    const ids = await fs.readFile(path.join(dir, 'ids'), 'utf8').catch(() => '');
    if (!ids.split('\n').includes(id)) continue;
    const short = await readShort(dir);
    if (short) await fs.rm(layout.link(short), { force: true });
    await fs.rm(dir, { recursive: true, force: true });
  }
}
