import { createRequire } from 'node:module';

type ZstdNapi = typeof import('zstd-napi');
let lib: ZstdNapi | undefined;

/**
 * zstd-napi, loaded on first use: opening its native addon costs every process a few milliseconds, and
 * most commands (a cached build, `images`, an uncompressed layer) never touch zstd.
 */
export function zstdNapi(): ZstdNapi {
  return (lib ??= createRequire(import.meta.url)('zstd-napi') as ZstdNapi);
}
