/** @strata/cache: cache entries, the local index, and remote cache backends. */
export * from './errors.js';
export * from './record.js';
export * from './local-index.js';
export { writeFileAtomic } from './atomic.js';
export * from './spec.js';
export * from './backend.js';
export { FileLayoutBackend, type FileOps } from './file-backend.js';
export { LocalDirOps } from './local-fs.js';
export { SftpOps, type SftpOptions } from './sftp-ops.js';
export { knownHostKeys, hostPattern } from './known-hosts.js';
export { RegistryBackend, ENTRY_MEDIA_TYPE } from './registry-backend.js';
export { openBackend } from './open-backend.js';
export * from './remote-cache.js';
export * from './export.js';
export * from './file-set.js';
export * from './prune-remote.js';
export * from './cache-mounts.js';
export * from './wire-form.js';
