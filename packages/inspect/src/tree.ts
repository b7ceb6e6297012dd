import type { FileFacts } from './facts.js';

/** One path of a merged filesystem: its current facts and the layer that gave them. */
export interface TreeNode {
  name: string;
  parent: TreeNode | undefined;
  /** Present for directories only. */
  children?: Map<string, TreeNode>;
  facts: FileFacts;
  /** Index of the layer whose entry set these facts. */
  layer: number;
  /** A directory that no layer emitted, created because a deeper path needs it. */
  implicit?: boolean;
}

/** A fresh root directory node. */
export function rootNode(): TreeNode {
  return { name: '', parent: undefined, children: new Map(), facts: implicitDirFacts(''), layer: -1, implicit: true };
}

/** Facts of a directory no layer described: root-owned 0755, no time. */
export function implicitDirFacts(path: string): FileFacts {
  return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: 0n };
}

/** The node at a relative path ('' is the root), or undefined. */
export function lookup(root: TreeNode, path: string): TreeNode | undefined {
  if (path === '') return root;
  let node: TreeNode | undefined = root;
  let start = 0;
  while (node) {
    const slash = path.indexOf('/', start);
    const name = slash < 0 ? path.slice(start) : path.slice(start, slash);
    node = node.children?.get(name);
    if (slash < 0) return node;
    start = slash + 1;
  }
  return undefined;
}

/** Visits a subtree depth-first, parents before children, children in name order. */
export function* walk(node: TreeNode, includeSelf = true): Generator<TreeNode> {
  if (includeSelf) yield node;
  if (!node.children) return;
  const names = [...node.children.keys()].sort();
  for (const n of names) yield* walk(node.children.get(n)!, true);
}

/** Detaches a node from its parent. */
export function detach(node: TreeNode): void {
  node.parent?.children?.delete(node.name);
  node.parent = undefined;
}

/** Visits a subtree in no particular order (no sorting, no generator per level): for totals and removals. */
export function forEachNode(node: TreeNode, fn: (n: TreeNode) => void): void {
  const stack: TreeNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    fn(n);
    if (n.children) for (const c of n.children.values()) stack.push(c);
  }
}
