import fs from 'node:fs/promises';
import path from 'node:path';
import { errCode } from './errors.js';
import type { Usage } from './types.js';

/** Sums file sizes (each inode once) and counts objects under the given dirs; missing dirs count nothing. */
export async function treeUsage(dirs: string[]): Promise<Usage> {
  const seen = new Set<string>();
  const usage: Usage = { size: 0, inodes: 0 };
  async function visit(p: string): Promise<void> {
    let st;
    try {
      st = await fs.lstat(p, { bigint: true });
    } catch (e) {
      if (errCode(e) === 'ENOENT') return;
      throw e;
    }
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    usage.inodes++;
    if (st.isFile()) usage.size += Number(st.size);
    if (st.isDirectory()) for (const n of await fs.readdir(p)) await visit(path.join(p, n));
  }
  for (const d of dirs) await visit(d);
  return usage;
}
