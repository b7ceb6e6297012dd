/** @strata/executor: runs one command in an isolated container through a small C launcher (README.md). */
export { Executor, DEFAULT_PATH, type ExecutorOptions } from './executor.js';
export type { ExecMount, Limits, OutputSink, RunSpec, RunResult, Usage } from './spec.js';
export { ExecutorError, UnknownUserError, StepAbortedError } from './errors.js';
export { resolveUser, type ResolvedUser } from './user.js';
export { resolveInRoot } from './in-root.js';
export { launcherPath } from './launcher.js';
export { zygotePath } from './zygote.js';
export { hostsFile, parseAddHost } from './etc-files.js';
export { holdCacheDir, type CacheSharing, type HeldCacheDir } from './cache-dir.js';
export {
  parseRunMount, prepareRunMounts,
  type RunMountOptions, type RunMountContext, type PreparedRunMounts, type SecretSource,
} from './run-mounts.js';
