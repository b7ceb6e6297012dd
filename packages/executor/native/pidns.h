/* Proof without a cgroup (rootless) that a step's pid namespace is empty: a /proc scan by namespace inode. */
#ifndef STRATA_PIDNS_H
#define STRATA_PIDNS_H

#include <sys/types.h>

/* The inode of `pid`'s pid namespace, 0 if unknown. */
unsigned long long pidns_of(pid_t pid);
/* SIGKILLs every process still in pid namespace `ns` until none is left; returns how many it found, -1 on
 * timeout. */
int pidns_kill_all(unsigned long long ns);

#endif
