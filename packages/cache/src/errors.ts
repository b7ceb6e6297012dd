/** Any error of the layer cache: a record that cannot be read or written, a backend that refuses. */
export class CacheError extends Error {
  override name = 'CacheError';
}

/** A `--cache-to` / `--cache-from` value that cannot be understood (a usage error, never a warning). */
export class CacheSpecError extends CacheError {
  override name = 'CacheSpecError';
}

/** A remote cache that cannot be reached or refuses us: the build goes on without it unless --cache-required. */
export class RemoteCacheError extends CacheError {
  override name = 'RemoteCacheError';
}

/** A remote blob that is absent or whose bytes do not match its digest: the entry naming it is a miss. */
export class RemoteBlobError extends RemoteCacheError {
  override name = 'RemoteBlobError';
  constructor(message: string, readonly digest: string) {
    super(message);
  }
}
