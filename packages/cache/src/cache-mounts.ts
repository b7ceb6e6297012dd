import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CacheBackend } from './backend.js';
import { exportFileSet, importFileSet, type FileSetStats } from './file-set.js';

const INDEX = 'mounts-index';
const NAME = /^[a-f0-9]{32}$/;

/** Totals of a cache-mount export or import. */
export interface MountSyncStats extends FileSetStats {
  mounts: number;
}

async function readIndex(backend: CacheBackend): Promise<string[]> {
  const b = await backend.readPointer(INDEX);
  if (b === undefined) return [];
  try {
    const v = JSON.parse(b.toString('utf8')) as { mounts?: unknown };
    return Array.isArray(v.mounts) ? v.mounts.filter((n): n is string => typeof n === 'string' && NAME.test(n)) : [];
  } catch {
    return [];
  }
}

/**
 * Exports every `RUN --mount=type=cache` directory of a state root (`<root>/cache-mounts/<id hash>`, the
 * executor's layout) as a file set, incrementally, and adds their names to the remote's mount index.
 */
export async function exportCacheMounts(backend: CacheBackend, stateRoot: string): Promise<MountSyncStats> {
  const base = path.join(stateRoot, 'cache-mounts');
  const names: string[] = [];
  for (const n of await readdir(base).catch(() => [] as string[])) {
    if (NAME.test(n) && (await stat(path.join(base, n)).catch(() => undefined))?.isDirectory()) names.push(n);
  }
  const total: MountSyncStats = { mounts: 0, files: 0, transferred: 0, bytes: 0 };
  for (const n of names) {
    const s = await exportFileSet(backend, n, path.join(base, n));
    total.mounts++;
    total.files += s.files;
    total.transferred += s.transferred;
    total.bytes += s.bytes;
  }
  if (names.length > 0) {
    // Read-merge-write: a concurrent exporter may drop a name for one round, never a file set.
    const all = [...new Set([...(await readIndex(backend)), ...names])].sort();
    await backend.writePointer(INDEX, Buffer.from(JSON.stringify({ mounts: all })), []);
  }
  return total;
}

/** Restores every cache mount the remote lists into `<root>/cache-mounts/`, before a build uses them. */
export async function importCacheMounts(backend: CacheBackend, stateRoot: string): Promise<MountSyncStats> {
  const total: MountSyncStats = { mounts: 0, files: 0, transferred: 0, bytes: 0 };
  for (const n of await readIndex(backend)) {
    const s = await importFileSet(backend, n, path.join(stateRoot, 'cache-mounts', n));
    if (!s) continue;
    total.mounts++;
    total.files += s.files;
    total.transferred += s.transferred;
    total.bytes += s.bytes;
  }
  return total;
}
