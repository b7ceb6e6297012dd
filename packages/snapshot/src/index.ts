/** @strata/snapshot: see README.md. */
export {};
