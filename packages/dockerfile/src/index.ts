/** @strata/dockerfile: see README.md. */
export {};
