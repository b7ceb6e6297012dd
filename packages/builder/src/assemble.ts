import { MediaType, MemoryImage, StoreLayer, compressionOfMediaType, digestOf, layerMediaType, jsonBytes, type BlobSource, type Digest, type ImageConfig, type Manifest } from '@strata/oci';
import type { Graph, SolveResult } from '@strata/planner';
import type { LayerChain } from '@strata/cache';

/**
 * The image of the target stage: the planner's config and history, with each history entry of a step that
 * wrote no layer marked empty_layer and rootfs.diff_ids from the head's layer chain. A step's history time is
 * when it ran (kept in its cache record, so a fully cached rebuild gives the same digest, as BuildKit's does);
 * a metadata step takes the time of the step before it. When no step of the stage has a time (metadata
 * only), `epoch` (SOURCE_DATE_EPOCH) when given, else the base image's own time, so a metadata-only
 * Dockerfile rebuilt unchanged gives the same image, as BuildKit's does; now only without either. `labels`
 * (`--label`) are added to the config's, over the Dockerfile's.
 */
export function assembleImage(graph: Graph, solved: SolveResult<LayerChain>, cs: BlobSource, epoch?: string, labels?: Record<string, string>): MemoryImage {
  const plan = graph.stages.get(graph.target)!;
  const layers = solved.head === null ? [] : solved.outcomes.get(solved.head)?.state.layers ?? [];
  const config: ImageConfig = structuredClone(plan.config);
  const fallback = epoch ?? config.created ?? new Date().toISOString();
  const history = config.history ?? [];
  const firstStep = history.length - plan.steps.length;
  const ranAt = (op: string) => (graph.ops.get(op)?.kind === 'source' ? undefined : solved.outcomes.get(op)?.state.created);
  // Metadata steps before the first filesystem step take that step's time, so no step stamps "now" on a hit.
  let created = plan.steps.map((s) => ranAt(s.op)).find((t) => t !== undefined);
  plan.steps.forEach((step, i) => {
    created = ranAt(step.op) ?? created;
    const h = history[firstStep + i];
    if (!h) return;
    h.created = created ?? fallback;
    if (solved.outcomes.get(step.op)?.emptyLayer) h.empty_layer = true;
  });
  config.created = created ?? fallback;
  config.rootfs = { type: 'layers', diff_ids: layers.map((l) => l.diffId) };
  if (labels && Object.keys(labels).length > 0) config.config = { ...config.config, Labels: { ...config.config?.Labels, ...labels } };
  // `ENTRYPOINT []`, `CMD []` and a Cmd dropped by ENTRYPOINT leave the field out, as Docker's config JSON
  // does (omitempty): a child image sees none either way.
  for (const k of ['Entrypoint', 'Cmd'] as const) {
    const v = config.config?.[k];
    if (config.config && (v === null || (Array.isArray(v) && v.length === 0))) delete config.config[k];
  }
  const rawConfig = jsonBytes(config);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf(rawConfig) as Digest, size: rawConfig.length },
    // Docker-typed base layers are relabelled: the bytes are the same, an OCI manifest names OCI types.
    layers: layers.map((l) => ({ mediaType: ociLayerType(l.mediaType), digest: l.digest, size: l.size })),
  };
  const storeLayers = layers.map((l) => new StoreLayer(cs, { mediaType: l.mediaType, digest: l.digest, size: l.size }, l.diffId));
  return new MemoryImage(jsonBytes(manifest), rawConfig, storeLayers);
}

function ociLayerType(mt: string): string {
  const c = compressionOfMediaType(mt);
  return c === undefined ? mt : layerMediaType(c, false);
}
