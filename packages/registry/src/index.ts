/** @strata/registry: the OCI distribution client (see README.md). */
export * from './errors.js';
export * from './reference.js';
export * from './challenge.js';
export * from './credentials.js';
export { send, readBody, readAll, drain, type TransportOptions, type HttpRequest, type HttpResponse } from './transport.js';
export * from './session.js';
export * from './client.js';
export * from './connect.js';
export * from './platform.js';
export * from './remote-image.js';
export * from './upload.js';
export * from './pull.js';
export * from './push.js';
export * from './mount-hints.js';
export * from './push-index.js';
