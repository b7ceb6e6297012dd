import { createReadStream, promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { LayerEntry } from './layer-entry.js';

/** Options of treeEntries. */
export interface TreeOptions {
  /** Reads extended attributes (Node cannot: @strata/snapshot passes a native reader). */
  readXattrs?: (file: string) => Promise<Record<string, Buffer> | undefined>;
}

/**
 * Walks a directory depth-first with sorted listings and yields its contents as LayerEntry values in the
 * order writeLayerTar requires; a second path to the same inode becomes a hardlink to the first. The root
 * itself is not an entry.
 */
export async function* treeEntries(root: string, opts: TreeOptions = {}): AsyncGenerator<LayerEntry> {
  const seen = new Map<string, string>();
  async function* walk(rel: string): AsyncGenerator<LayerEntry> {
    const names = (await fsp.readdir(path.join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(root, r);
      const st: BigIntStats = await fsp.lstat(full, { bigint: true });
      const e: LayerEntry = {
        path: r, type: 'file', mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), size: 0, mtimeNs: st.mtimeNs,
      };
      const x = opts.readXattrs ? await opts.readXattrs(full) : undefined;
      if (x && Object.keys(x).length) e.xattrs = x;
      if (st.isDirectory()) {
        e.type = 'dir';
        yield e;
        yield* walk(r);
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (!st.isSymbolicLink() && st.nlink > 1n) {
        const first = seen.get(key);
        if (first) {
          yield { ...e, type: 'hardlink', linkname: first };
          continue;
        }
        seen.set(key, r);
      }
      if (st.isSymbolicLink()) Object.assign(e, { type: 'symlink', linkname: await fsp.readlink(full) });
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        Object.assign(e, { type: st.isCharacterDevice() ? 'char' : 'block', devmajor: Number(st.rdev >> 8n) & 0xfff, devminor: Number((st.rdev & 0xffn) | ((st.rdev >> 12n) & 0xfff00n)) });
      } else if (st.isFIFO()) e.type = 'fifo';
      else if (st.isFile()) {
        e.size = Number(st.size);
        e.open = () => createReadStream(full, { highWaterMark: 1 << 20 });
      } else continue; // sockets do not go into layers
      yield e;
    }
  }
  yield* walk('');
}
