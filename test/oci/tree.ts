import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Describes a directory tree as path → "type mode uid:gid size content|target|nlink" (root excluded, no
 * times), so two extractions can be compared with one deepEqual.
 */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(root, r);
      const st = lstatSync(p);
      const head = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[r] = `dir ${head}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `symlink ${head} -> ${readlinkSync(p)}`;
      else if (st.isFile()) out[r] = `file ${head} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)} nlink=${st.nlink}`;
      else if (st.isFIFO()) out[r] = `fifo ${head}`;
      else if (st.isCharacterDevice() || st.isBlockDevice()) out[r] = `dev ${head} ${st.rdev}`;
      else out[r] = `other ${head}`;
    }
  };
  walk('');
  return out;
}
