import fs, { lstatSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import { isWhiteoutStat } from './file-kind.js';
import { hasOpaqueXattr, OPAQUE_FILE, WHITEOUT_PREFIX } from './xattrs.js';
import { errCode } from './errors.js';

/** One name in a merged directory: where it comes from and, for a directory, which layer dirs merge into it. */
export interface TreeNode {
  /** Path relative to the tree root, '' for the root. */
  path: string;
  /** Absolute path of the object in the topmost layer holding it. */
  abs: string;
  st: BigIntStats;
  /** For directories: the layer dirs merged at this path, top first. */
  dirs?: string[];
}

/**
 * The merged view of overlay-format layer dirs (top first), read without mounting: whiteouts (0/0 devices or
 * `.wh.` files) hide lower names, opaque dirs and non-dirs stop the merge below them — the kernel's lookup
 * rules. With `union` false the single dir is read literally (a real tree may hold a 0/0 device).
 */
export class UnionTree {
  constructor(readonly layers: string[], readonly union = true) {}

  /** The root node (a directory merging every layer); undefined when there are no layers. */
  async root(): Promise<TreeNode | undefined> {
    if (this.layers.length === 0) return undefined;
    const top = this.layers[0]!;
    const st = fs.lstatSync(top, { bigint: true });
    return { path: '', abs: top, st, dirs: this.union ? this.cutAtOpaque(this.layers) : [top] };
  }

  private cutAtOpaque(dirs: string[]): string[] {
    const out: string[] = [];
    for (const d of dirs) {
      out.push(d);
      if (this.union && isOpaqueDir(d)) break;
    }
    return out;
  }

  /** The children of a directory node, sorted by name. */
  async readDir(node: TreeNode): Promise<TreeNode[]> {
    // Sync syscalls per directory (a thread-pool hop per file costs more than the call); yield between dirs.
    await yieldToLoop();
    const found = new Map<string, TreeNode & { open: boolean }>();
    const hidden = new Set<string>();
    for (const d of node.dirs ?? []) {
      let names: string[];
      try {
        names = fs.readdirSync(d);
      } catch (e) {
        if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') continue;
        throw e;
      }
      const here = new Set<string>();
      for (const name of names) {
        if (this.union && name.startsWith(WHITEOUT_PREFIX)) {
          if (name === OPAQUE_FILE) continue;
          const target = name.slice(WHITEOUT_PREFIX.length);
          here.add(target);
          const open = found.get(target);
          if (open) open.open = false;
          continue;
        }
        const abs = path.join(d, name);
        const prev = found.get(name);
        if (prev) {
          if (!prev.open) continue;
          const st = fs.lstatSync(abs, { bigint: true });
          if (!st.isDirectory()) { prev.open = false; continue; }
          prev.dirs!.push(abs);
          if (isOpaqueDir(abs)) prev.open = false;
          continue;
        }
        if (hidden.has(name)) continue;
        const st = fs.lstatSync(abs, { bigint: true });
        if (this.union && isWhiteoutStat(st)) { here.add(name); continue; }
        if (st.isSocket()) continue; // never layer content (see upper-differ.ts)
        const isDir = st.isDirectory();
        const rel = node.path === '' ? name : `${node.path}/${name}`;
        found.set(name, { path: rel, abs, st, dirs: isDir ? [abs] : undefined, open: isDir && this.union && !isOpaqueDir(abs) });
      }
      // Whiteouts hide names only in the layers below the one holding them.
      for (const n of here) hidden.add(n);
    }
    const out = [...found.values()].map(({ open: _open, ...n }) => n);
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  }

  /** Every node below the root in sorted, parents-first order. */
  async *walk(node?: TreeNode): AsyncGenerator<TreeNode> {
    const start = node ?? (await this.root());
    if (!start) return;
    for (const child of await this.readDir(start)) {
      yield child;
      if (child.dirs) yield* this.walk(child);
    }
  }
}

/** Opaque by xattr or by the `.wh..wh..opq` marker file. */
export function isOpaqueDir(dir: string): boolean {
  if (hasOpaqueXattr(dir)) return true;
  try {
    lstatSync(path.join(dir, OPAQUE_FILE));
    return true;
  } catch {
    return false;
  }
}
