/** @strata/inspect: see README.md. */
export {};
