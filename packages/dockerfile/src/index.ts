/** @strata/dockerfile: Dockerfile text → syntax tree → typed stages; shell-word expansion; lint. No I/O. */
export * from './syntax.js';
export * from './types.js';
export { DockerfileError } from './errors.js';
export { EXPANDED_FIELDS, isExpanded } from './expanded-fields.js';
export type { ExpandedField } from './expanded-fields.js';
export { parsePlatform, formatPlatform, hostPlatform, platformArgs, PROXY_ARGS } from './platform.js';
export type { Platform } from './platform.js';
export { parse } from './parse.js';
export { toStages } from './stages.js';
export { expand, expandWords, expandWithMatches } from './shell-lex.js';
export type { Env, LexOptions, ExpandResult } from './shell-lex.js';
export { chompHeredocContent } from './heredoc.js';
export { parseCheckDirective } from './directives.js';
export type { CheckDirective } from './directives.js';
