import { dirnameOf, type FileFacts } from './facts.js';

/** dive's efficiency figures, computed the way dive computes them (see README: "Efficiency"). */
export interface DiveEfficiency {
  /** Σ over paths of the smallest size seen at that path ÷ Σ of every size seen; 1 for an empty image. */
  score: number;
  /** Σ of every size seen at paths that occur in two or more layers (dive's "potential wasted space"). */
  wastedBytes: number;
  /** Bytes of every layer but the first (dive's "user" bytes). */
  userBytes: number;
  /** wastedBytes ÷ userBytes (0 when there are no user bytes). */
  wastedUserPercent: number;
  /** Paths seen in two or more layers, largest first. */
  inefficiencies: { path: string; count: number; bytes: number }[];
}

interface PathTally { cum: number; min: number; count: number }

/**
 * Accumulates dive's per-path tallies layer by layer. dive visits the leaves of each layer's own tree (entries
 * with no descendants in that same layer); a whiteout counts the bytes of the directory it deletes (as the
 * lower layers had it) and 0 for a deleted non-directory; opaque markers are ignored, as dive ignores them.
 */
export class DiveTally {
  private readonly paths = new Map<string, PathTally>();
  private readonly layerBytes: number[] = [];

  /** Adds one layer; `whiteoutBytes` gives, per whited-out path, the bytes of the directory it removed. */
  addLayer(entries: FileFacts[], whiteoutBytes: ReadonlyMap<string, number>): void {
    // Directories with a descendant in this layer are inner nodes of the layer's tree: dive skips them.
    const inner = new Set<string>();
    const files = new Map<string, FileFacts>();
    const whiteouts = new Map<string, FileFacts>();
    let bytes = 0;
    for (const f of entries) {
      bytes += f.size;
      if (f.type === 'opaque' || f.path === '') continue;
      for (let p = dirnameOf(f.path); p !== '' && !inner.has(p); p = dirnameOf(p)) inner.add(p);
      (f.type === 'whiteout' ? whiteouts : files).set(f.path, f);
    }
    this.layerBytes.push(bytes);
    for (const m of [files, whiteouts]) {
      for (const f of m.values()) {
        if (inner.has(f.path)) continue;
        const size = f.type === 'whiteout' ? whiteoutBytes.get(f.path) ?? 0 : f.size;
        const t = this.paths.get(f.path);
        if (!t) this.paths.set(f.path, { cum: size, min: size, count: 1 });
        else {
          t.cum += size;
          t.min = Math.min(t.min, size);
          t.count++;
        }
      }
    }
  }

  /** The score and waste over every layer added so far. */
  result(top = 50): DiveEfficiency {
    let minSum = 0;
    let cumSum = 0;
    let wastedBytes = 0;
    const ineff: DiveEfficiency['inefficiencies'] = [];
    for (const [path, t] of this.paths) {
      minSum += t.min;
      cumSum += t.cum;
      if (t.count >= 2) {
        wastedBytes += t.cum;
        ineff.push({ path: '/' + path, count: t.count, bytes: t.cum });
      }
    }
    ineff.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
    const userBytes = this.layerBytes.slice(1).reduce((s, b) => s + b, 0);
    return {
      score: cumSum === 0 ? 1 : minSum / cumSum,
      wastedBytes,
      userBytes,
      wastedUserPercent: userBytes === 0 ? 0 : wastedBytes / userBytes,
      inefficiencies: ineff.slice(0, top),
    };
  }
}
