/* What runs inside the namespaces: PID 1 (a reaping, signal-forwarding init) and the workload it starts. */
#ifndef STRATA_CONTAINER_H
#define STRATA_CONTAINER_H

#include "spec.h"

/* Runs as PID 1 of the new pid namespace: sets up the filesystem, hostname and loopback, starts the
 * workload, forwards signals to it, reaps every orphan, reports `status=<wait status>` and exits.
 * All signals are already blocked on entry. Never returns. */
void container_main(const struct spec *s, int userns, int report_fd) __attribute__((noreturn));

#endif
