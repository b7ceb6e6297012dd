import { checksumSources, type SourceChecksum } from './checksum.js';
import type { BuildContext } from './context.js';

/** A COPY/ADD source request in the shape @strata/planner's `sourceChecksum` receives. */
export interface SourceChecksumRequest {
  sources: string[];
  exclude: string[];
  dropMode: boolean;
  dropOwner: boolean;
}

/**
 * The function to hand the planner as `sourceChecksum`: checksums requests against this context. (Typed
 * structurally so neither package imports the other.)
 */
export function sourceChecksumFor(ctx: BuildContext): (req: SourceChecksumRequest) => Promise<SourceChecksum> {
  return (req) => checksumSources(ctx, req.sources, { excludes: req.exclude, dropMode: req.dropMode, dropOwner: req.dropOwner });
}
