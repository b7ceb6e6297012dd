/** @strata/executor: see README.md. */
export {};
