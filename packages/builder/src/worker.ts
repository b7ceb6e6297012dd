import type { BuildContext } from '@strata/context';
import type { SecretSource } from '@strata/executor';
import type { OpRunner, RunInput, RunResult } from '@strata/planner';
import type { LayerChain, LayerRef } from '@strata/cache';
import { runExec } from './exec-step.js';
import { runFileOp } from './copy-step.js';
import { BuildError } from './errors.js';
import type { BaseImages } from './base-images.js';
import type { Downloads } from './add-sources.js';
import type { StepServices } from './step-layer.js';

/** Build-wide inputs of the worker. */
export interface WorkerOptions {
  downloads: Downloads;
  /** The build's context, or the named one. */
  context(name?: string): Promise<BuildContext>;
  bases: BaseImages;
  secrets: Record<string, SecretSource>;
  ssh: Record<string, string>;
}

/**
 * The planner's OpRunner on real disks: a source op names an image's layer chain (no file work: layers are
 * unpacked only when a later step needs the tree), RUN runs in the executor over a snapshot, COPY/ADD/WORKDIR
 * change a snapshot; each writes at most one layer. The state handle is the layer chain.
 */
export class BuildWorker implements OpRunner<LayerChain> {
  constructor(private readonly svc: StepServices, private readonly o: WorkerOptions) {}

  async run(input: RunInput<LayerChain>): Promise<RunResult<LayerChain>> {
    const op = input.op;
    switch (op.kind) {
      case 'source': {
        const img = await this.o.bases.byDigest(op.digest, op.ref);
        const m = await img.manifest();
        const diffIds = (await img.config()).rootfs.diff_ids;
        if (diffIds.length !== m.layers.length) throw new BuildError(`image ${op.ref}: config lists ${diffIds.length} diff ids for ${m.layers.length} layers`);
        const layers: LayerRef[] = m.layers.map((d, i) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size, diffId: diffIds[i]! }));
        return { state: { layers } };
      }
      case 'exec': {
        const r = await runExec(this.svc, op, {
          context: this.o.context, parent: input.parent, deps: input.deps, secrets: this.o.secrets, ssh: this.o.ssh,
          signal: input.signal, log: input.log, outsideSlot: input.outsideSlot,
        });
        return { state: r.state, emptyLayer: r.emptyLayer };
      }
      case 'file': {
        const r = await runFileOp(this.svc, op, { context: this.o.context, downloads: this.o.downloads, parent: input.parent, deps: input.deps });
        return { state: r.state, emptyLayer: r.emptyLayer };
      }
    }
  }
}
