/** @strata/context: the build context — ignore rules, stat index, fingerprints, COPY source checksums. */
export { cleanPath } from './clean.js';
export { BuildContext, headerString } from './context.js';
export type { DropOptions, FingerprintParts, HashStats, OpenOptions, XattrReader } from './context.js';
export { checksumSources } from './checksum.js';
export type { ChecksumOptions, SourceChecksum } from './checksum.js';
export { sourceChecksumFor } from './source-checksum.js';
export type { SourceChecksumRequest } from './source-checksum.js';
export type { Entry, EntryType } from './entry.js';
export { ContextError, IgnorePatternError, SourceNotFoundError } from './errors.js';
export { compileSegment, hasWildcard } from './glob.js';
export { hashBytes, hashFile, hashString } from './hash.js';
export { loadIgnoreFile, parseIgnoreFile } from './ignore-file.js';
export type { IgnoreFile } from './ignore-file.js';
export { Pattern, PatternMatcher } from './pattern-matcher.js';
export type { MatchInfo } from './pattern-matcher.js';
export { INDEX_VERSION, RACY_WINDOW_NS, StatIndex } from './stat-index.js';
export type { IndexRecord } from './stat-index.js';
export { walkContext, type DirScanner } from './walk.js';
