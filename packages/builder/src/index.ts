/**
 * @strata/builder: the facade the CLI uses. The lower packages are re-exported as namespaces so that the CLI
 * imports only builder and inspect (DESIGN §2); facade operations (build, pull, push, run, …) live here.
 */
export * as dockerfile from '@strata/dockerfile';
export * as oci from '@strata/oci';
export * as registry from '@strata/registry';
export * as context from '@strata/context';
export * as snapshot from '@strata/snapshot';
export * as executor from '@strata/executor';
export * as planner from '@strata/planner';
export * as cache from '@strata/cache';
export { runContainer, unpackImage, type RunContainerOptions } from './run-container.js';
export { build, type BuildOptions, type BuildResult, type RemoteCacheReport } from './build.js';
export { pruneRemoteCache, type CacheExportReport } from './remote-export.js';
export type { ImportStats } from './remote-cache.js';
export { parseOutput, type OutputSpec } from './outputs.js';
export { BuildError } from './errors.js';
export { cacheList, cachePrune, parseDuration, type CacheListing, type PruneResult } from './cache-ops.js';
export { lastBuild, type BuildRecord, type StepRecord } from './build-record.js';
export { withCompressedLayers } from './compress-layers.js';
export { unpackStoredImage } from './unpack-stored.js';
export { viaScratchFile, withSpooledInput } from './scratch-files.js';
export { defaultDockerfile } from './build-input.js';
