import {
  LocalCacheIndex, RemoteCacheError, WireForms, exportCacheMounts, exportEntries, importCacheMounts, openBackend, pruneRemote,
  type CacheBackend, type CacheEntry, type CacheSpec, type ExportStats, type LayerChain, type MountSyncStats, type RemotePruneResult,
} from '@strata/cache';
import type { LocalStore } from '@strata/oci';
import type { Graph, SolveResult } from '@strata/planner';
import { mountHintsFromStore, parseReference } from '@strata/registry';
import { BuildError } from './errors.js';
import type { Warn } from './remote-cache.js';

/** Registry destinations usableTargets is checking, kept for exportBuildCache (nothing to close on them). */
const checked = new WeakMap<CacheSpec, { backend: CacheBackend; check: Promise<RemoteCacheError | undefined>; warn: Warn; warned: Set<string> }>();

/** What `--cache-to` did for one destination. */
export interface CacheExportReport extends ExportStats {
  to: string;
  mounts?: MountSyncStats;
}

/** The op ids whose layers end up in the target's image: the head and its parent chain. */
function targetChain(graph: Graph, head: string | null): Set<string> {
  const out = new Set<string>();
  for (let id = head; id !== null && id !== undefined; id = graph.ops.get(id)?.parent ?? null) {
    out.add(id);
  }
  return out;
}

/** The entries a build exports: `min` the target's own chain of steps, `max` every step it solved. */
export async function buildEntries(root: string, graph: Graph, solved: SolveResult<LayerChain>, mode: 'min' | 'max'): Promise<{ entries: CacheEntry[]; base: Set<string> }> {
  const idx = new LocalCacheIndex(root);
  const chain = targetChain(graph, solved.head);
  const entries: CacheEntry[] = [];
  const base = new Set<string>();
  const keys: string[] = [];
  for (const [id, o] of solved.outcomes) {
    if (graph.ops.get(id)?.kind === 'source') for (const l of o.state.layers) base.add(l.digest);
    if (mode === 'min' && !chain.has(id)) continue;
    keys.push(o.key);
  }
  for (const e of await Promise.all(keys.map((k) => idx.get(k)))) if (e) entries.push(e);
  return { entries, base };
}

/**
 * Exports a finished build to each `--cache-to` destination: entries (and, with --cache-mounts, the cache
 * mount directories). A destination that fails gives one warning, or fails the build with --cache-required.
 */
export async function exportBuildCache(
  specs: CacheSpec[], root: string, store: LocalStore, graph: Graph, solved: SolveResult<LayerChain>,
  o: { warn: Warn; required: boolean; mounts: boolean },
): Promise<CacheExportReport[]> {
  const reports: CacheExportReport[] = [];
  const wire = new WireForms(root, store.content);
  for (const spec of specs) {
    const kept = checked.get(spec);
    checked.delete(spec);
    const backend = kept?.backend ?? openBackend(spec.location);
    const failed = kept ? await kept.check : undefined;
    if (failed) {
      disabled(backend.label, failed, kept!.warn, kept!.warned);
      continue;
    }
    try {
      // The remote's listing travels while the local side gathers the entries.
      const listing = backend.listEntries();
      listing.catch(() => {});
      const loc = spec.location;
      const [{ entries, base }, mountFrom] = await Promise.all([
        buildEntries(root, graph, solved, spec.mode),
        loc.type === 'registry'
          ? (async () => { const ref = parseReference(loc.ref, 'cache'); return mountHintsFromStore(store, ref.registry, ref.repository); })()
          : Promise.resolve(undefined),
      ]);
      const stats = await exportEntries(backend, entries, store.content, { skipBlobs: base, wire: (l, max) => wire.of(l, max), listing, ...(mountFrom ? { mountFrom } : {}) });
      const report: CacheExportReport = { to: backend.label, ...stats };
      if (o.mounts) report.mounts = await exportCacheMounts(backend, root);
      reports.push(report);
    } catch (e) {
      if (!(e instanceof RemoteCacheError)) throw e;
      if (o.required) throw new BuildError(`--cache-to ${spec.text}: ${e.message}`);
      o.warn(`cache export to ${backend.label} failed, the build is kept: ${e.message.replace(`${backend.label}: `, '')}`);
    } finally {
      await backend.close();
    }
  }
  return reports;
}

/**
 * Drops the `--cache-to` destinations that cannot be written (one warning each), before the build spends
 * any time; with --cache-required the first such destination fails the build.
 */
export async function usableTargets(specs: CacheSpec[], o: { warn: Warn; required: boolean; warned?: Set<string> }): Promise<CacheSpec[]> {
  const ok = await Promise.all(specs.map(async (spec) => {
    const backend = openBackend(spec.location);
    const check = backend.check(true).then(() => undefined, (e: unknown) => {
      if (!(e instanceof RemoteCacheError)) throw e;
      return e;
    });
    if (spec.location.type === 'registry' && !o.required) {
      // A registry backend holds no connection of its own (closing it is a no-op): it is kept for the export,
      // checked while the build runs (what it prepares then is not done again); a failure is warned about
      // when the export would start. Other backends, and --cache-required, are checked before the build.
      checked.set(spec, { backend, check, warn: o.warn, warned: o.warned ?? new Set() });
      check.catch(() => {});
      return true;
    }
    try {
      const err = await check;
      if (err === undefined) return true;
      if (o.required) throw new BuildError(`--cache-to ${spec.text}: ${err.message}`);
      disabled(backend.label, err, o.warn, o.warned);
      return false;
    } finally {
      await backend.close();
    }
  }));
  return specs.filter((_, i) => ok[i]);
}

/** The one warning for a --cache-to place that cannot be used (none when it failed as a --cache-from already). */
function disabled(label: string, e: Error, warn: Warn, warned?: Set<string>): void {
  if (!warned?.has(label)) warn(`cache export to ${label} disabled: ${e.message.replace(`${label}: `, '')}`);
}

/** Restores cache mounts from the first `--cache-from` source that lists any (before the build runs). */
export async function importBuildMounts(specs: CacheSpec[], root: string, o: { warn: Warn; required: boolean }): Promise<MountSyncStats | undefined> {
  for (const spec of specs) {
    const backend = openBackend(spec.location);
    try {
      const s = await importCacheMounts(backend, root);
      if (s.mounts > 0) return s;
    } catch (e) {
      if (!(e instanceof RemoteCacheError)) throw e;
      if (o.required) throw new BuildError(`--cache-from ${spec.text}: ${e.message}`);
      o.warn(`cache mounts from ${backend.label} not restored: ${e.message.replace(`${backend.label}: `, '')}`);
    } finally {
      await backend.close();
    }
  }
  return undefined;
}

/** `strata cache prune --remote SPEC`: removes remote entries not hit for `olderThanMs` (all when undefined). */
export async function pruneRemoteCache(spec: CacheSpec, olderThanMs?: number): Promise<RemotePruneResult & { from: string }> {
  const backend = openBackend(spec.location);
  try {
    await backend.check(true);
    return { from: backend.label, ...(await pruneRemote(backend, olderThanMs)) };
  } finally {
    await backend.close();
  }
}
