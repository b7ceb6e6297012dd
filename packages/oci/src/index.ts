/** @strata/oci: image formats, layer tar, compression and content stores. */
export * from './digest.js';
export * from './errors.js';
export * from './media-types.js';
export * from './descriptor.js';
export * from './types.js';
export * from './layer-entry.js';
export * from './image.js';
export * from './state-root.js';
export * from './content-store.js';
export * from './layer-path.js';
export * from './tar-header.js';
export * from './tar-writer.js';
export * from './tar-reader.js';
export * from './extract-fs.js';
export * from './extract.js';
export * from './gzip-parallel.js';
export * from './compression.js';
