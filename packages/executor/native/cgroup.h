/* The step's cgroup: limits, accounting, and the proof that no process of the step survives it. */
#ifndef STRATA_CGROUP_H
#define STRATA_CGROUP_H

#include <limits.h>
#include <sys/types.h>

#include "spec.h"

#define CG_MAX_DIRS 5

struct cgroup {
  int v2;
  int ndirs;
  char dirs[CG_MAX_DIRS][PATH_MAX]; /* v1: one per controller hierarchy; v2: one */
  char ctrl[CG_MAX_DIRS][16];
};

struct cg_usage {
  long long cpu_ns, mem_peak, oom_kills, pids_max_hits;
};

/* Creates the leaf `s->cgroup` below the launcher's own cgroup in each hierarchy and applies the limits.
 * Returns -1 with a message in err on failure (nothing left created). */
int cg_create(struct cgroup *cg, const struct spec *s, char *err, size_t errlen);
int cg_attach(const struct cgroup *cg, pid_t pid);
/* SIGKILLs whatever is still in the cgroup until cgroup.procs is empty; returns how many it had to kill,
 * or -1 if processes remain after the deadline. */
int cg_kill_all(const struct cgroup *cg);
void cg_read_usage(const struct cgroup *cg, struct cg_usage *u);
void cg_destroy(struct cgroup *cg);

#endif
