/** @strata/context: see README.md. */
export {};
