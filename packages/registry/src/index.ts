/** @strata/registry: see README.md. */
export {};
