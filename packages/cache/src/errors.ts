/** Any error of the layer cache: a record that cannot be read or written, a backend that refuses. */
export class CacheError extends Error {
  override name = 'CacheError';
}
