/** @strata/cache: see README.md. */
export {};
