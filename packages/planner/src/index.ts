/** @strata/planner: see README.md. */
export {};
