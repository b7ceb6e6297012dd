/** @strata/builder: see README.md. */
export {};
