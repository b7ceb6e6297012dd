import type { FileFacts } from './facts.js';
import { ancestorsOf } from './facts.js';
import { detach, forEachNode, implicitDirFacts, lookup, rootNode, type TreeNode } from './tree.js';

/** Why a lower layer's file stopped being visible. */
export type HideReason = 'overwritten' | 'deleted';

/** Callbacks a merge reports to; every one is optional. */
export interface MergeObserver {
  /** A file or other node from a lower layer (or earlier in the same layer) stopped being visible. */
  hidden?(node: TreeNode, byLayer: number, reason: HideReason): void;
  /** An entry of this layer that adds or replaces a path; `before` is what the lower layers had there. */
  added?(facts: FileFacts, before: FileFacts | undefined, layer: number): void;
  /** A whiteout or opaque marker; `removed` lists the facts it hid (files, dirs, links). */
  deleted?(facts: FileFacts, removed: FileFacts[], layer: number): void;
}

/** One layer's own entries, in tar order. */
export interface LayerEntries {
  index: number;
  entries: FileFacts[];
}

/**
 * The filesystem a stack of layers makes. Layers are applied bottom-up with OCI semantics: within a layer,
 * whiteouts and opaque markers act on the lower layers only (so they are applied first), then additions in
 * tar order; a non-directory replaces whatever was at its path, a directory over a directory keeps children.
 */
export class MergedTree {
  readonly root: TreeNode = rootNode();
  /** Number of layers applied so far. */
  layers = 0;

  /** The node at a relative path, or undefined. */
  get(path: string): TreeNode | undefined {
    return lookup(this.root, path);
  }

  /** Applies one layer on top, reporting to `obs`. */
  apply(layer: LayerEntries, obs: MergeObserver = {}): void {
    this.obs = obs;
    try {
      this.applyLayer(layer);
    } finally {
      this.obs = {};
      this.filesOf = undefined;
    }
  }

  private obs: MergeObserver = {};

  private applyLayer(layer: LayerEntries): void {
    const L = layer.index;
    const obs = this.obs;
    // Paths the deletions of this layer removed, so an addition at the same path still knows what was below.
    const hiddenHere = new Map<string, FileFacts>();
    for (const f of layer.entries) {
      if (f.type !== 'whiteout' && f.type !== 'opaque') continue;
      const node = this.get(f.path);
      const removed: FileFacts[] = [];
      if (node && f.type === 'whiteout' && node !== this.root) {
        this.hide(node, L, 'deleted', removed);
      } else if (node?.children && f.type === 'opaque') {
        for (const child of [...node.children.values()]) this.hide(child, L, 'deleted', removed);
      }
      for (const r of removed) hiddenHere.set(r.path, r);
      obs.deleted?.(f, removed, L);
    }
    for (let f of layer.entries) {
      if (f.type === 'whiteout' || f.type === 'opaque') continue;
      const existing = this.get(f.path);
      const before = existing ? (existing.implicit ? undefined : existing.facts) : hiddenHere.get(f.path);
      if (f.type === 'hardlink' && f.linkname !== undefined) {
        // The target may come later in this layer's tar (sorted writers put links before targets) or below.
        // A copy carries the target's hash: scans are shared between images, whose lower layers may differ.
        const target = this.layerFiles(layer).get(f.linkname) ?? this.get(f.linkname)?.facts;
        if (target && (target.type === 'file' || target.type === 'hardlink')) {
          f = { ...f, contentSize: target.contentSize ?? target.size };
          if (target.hash !== undefined) f.hash = target.hash;
        }
      }
      this.put(f, L, existing);
      obs.added?.(f, before, L);
    }
    this.layers = Math.max(this.layers, L + 1);
  }

  private put(f: FileFacts, L: number, existing: TreeNode | undefined): void {
    if (f.path === '') {
      if (f.type === 'dir') Object.assign(this.root, { facts: f, layer: L, implicit: false });
      return;
    }
    if (existing && existing.children && f.type === 'dir') {
      existing.facts = f;
      existing.layer = L;
      existing.implicit = false;
      return;
    }
    if (existing) this.hide(existing, L, existing.children ? 'deleted' : 'overwritten');
    const parent = this.ensureDir(f.path, L);
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const node: TreeNode = { name, parent, facts: f, layer: L };
    if (f.type === 'dir') node.children = new Map();
    parent.children!.set(name, node);
  }

  private filesOf: { layer: LayerEntries; files: Map<string, FileFacts> } | undefined;

  /** The regular files of a layer by path (built once per layer, only when it has hardlinks). */
  private layerFiles(layer: LayerEntries): Map<string, FileFacts> {
    if (this.filesOf?.layer !== layer) {
      const files = new Map<string, FileFacts>();
      for (const e of layer.entries) if (e.type === 'file') files.set(e.path, e);
      this.filesOf = { layer, files };
    }
    return this.filesOf.files;
  }

  /** The parent directory of a path, creating implicit directories (and replacing non-directories) on the way. */
  private ensureDir(path: string, L: number): TreeNode {
    let node = this.root;
    for (const dir of ancestorsOf(path)) {
      const name = dir.slice(dir.lastIndexOf('/') + 1);
      let next = node.children!.get(name);
      if (next && !next.children) {
        this.hide(next, L, 'overwritten');
        next = undefined;
      }
      if (!next) {
        next = { name, parent: node, children: new Map(), facts: implicitDirFacts(dir), layer: L, implicit: true };
        node.children!.set(name, next);
      }
      node = next;
    }
    return node;
  }

  /** Reports every node of a subtree as hidden by layer L, then detaches it. */
  private hide(node: TreeNode, L: number, reason: HideReason, removed?: FileFacts[]): void {
    forEachNode(node, (n) => {
      removed?.push(n.facts);
      this.obs.hidden?.(n, L, reason);
    });
    detach(node);
  }
}
