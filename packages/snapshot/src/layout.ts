import path from 'node:path';

/**
 * Paths under the state root (DESIGN §4). A layer dir holds `diff` (the overlay-format change set, used as a
 * lower dir once committed), `work` (overlay's work dir), `fs` (the copy driver's full tree) and `link` (its
 * short name); `l/<short>` is a symlink to `diff` so overlay's mount options stay under one page.
 */
export class Layout {
  constructor(readonly root: string) {}

  /** One dir per layer id. */
  get layers(): string { return path.join(this.root, 'layers'); }
  /** Short links. */
  get links(): string { return path.join(this.root, 'l'); }
  /** One JSON record per snapshot. */
  get snapshots(): string { return path.join(this.root, 'snapshots'); }
  /** Temp files and trash, always renamed into (or out of) place. */
  get tmp(): string { return path.join(this.root, 'tmp'); }
  /** Flattened bottoms of chains too long to mount. */
  get flat(): string { return path.join(this.root, 'flat'); }
  /** The metadata lock dir. */
  get lock(): string { return path.join(this.root, 'snapshots', '.lock'); }

  /** A layer's own dir. */
  layer(id: string): string { return path.join(this.layers, id); }
  /** A layer's change set in overlay format: the upper dir while active, a lower dir once committed. */
  diff(id: string): string { return path.join(this.layers, id, 'diff'); }
  /** Overlay's work dir for the active upper (same filesystem as diff, as the kernel requires). */
  work(id: string): string { return path.join(this.layers, id, 'work'); }
  /** The copy driver's working tree (a full copy of the parent chain plus the step's changes). */
  fs(id: string): string { return path.join(this.layers, id, 'fs'); }
  /** An empty dir, the second lower of a one-layer read-only overlay (the kernel wants two lowers then). */
  empty(id: string): string { return path.join(this.layers, id, 'empty'); }
  /** The short link naming a layer's diff dir. */
  link(short: string): string { return path.join(this.links, short); }
}
