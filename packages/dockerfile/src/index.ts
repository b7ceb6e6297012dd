/** @strata/dockerfile: Dockerfile text → syntax tree → typed stages; shell-word expansion; lint. No I/O. */
export * from './syntax.js';
export * from './types.js';
export { DockerfileError } from './errors.js';
export { EXPANDED_FIELDS, isExpanded } from './expanded-fields.js';
export type { ExpandedField } from './expanded-fields.js';
export { parsePlatform, formatPlatform, hostPlatform, platformArgs, PROXY_ARGS } from './platform.js';
export type { Platform } from './platform.js';
