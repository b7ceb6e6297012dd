import path from 'node:path';
import type { CacheBackend } from './backend.js';
import { FileLayoutBackend } from './file-backend.js';
import { LocalDirOps } from './local-fs.js';
import { RegistryBackend } from './registry-backend.js';
import { SftpOps } from './sftp-ops.js';
import type { CacheLocation } from './spec.js';

/** The backend for a parsed cache location (nothing is contacted until the first call). */
export function openBackend(loc: CacheLocation): CacheBackend {
  switch (loc.type) {
    case 'registry':
      return new RegistryBackend(loc.ref, loc.insecure);
    case 'sftp':
      return new FileLayoutBackend(new SftpOps({
        url: loc.url, hostKeyCheck: loc.hostKeyCheck, ...(loc.key ? { key: loc.key } : {}), ...(loc.knownHosts ? { knownHosts: loc.knownHosts } : {}),
      }), 64 << 10);
    case 'local':
      return new FileLayoutBackend(new LocalDirOps(path.resolve(loc.dir)));
  }
}
