/** @strata/cache: cache entries, the local index, and remote cache backends. */
export * from './errors.js';
export * from './record.js';
export * from './local-index.js';
export { writeFileAtomic } from './atomic.js';
