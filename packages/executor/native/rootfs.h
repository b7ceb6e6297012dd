/* Builds the container's filesystem view inside the new mount namespace, then pivots into it. */
#ifndef STRATA_ROOTFS_H
#define STRATA_ROOTFS_H

#include "spec.h"

/* Mounts /proc, /sys, /dev and the spec's mounts under the rootfs, creates the working directory, pivots
 * and detaches the old root. Mount points it had to create are reported as `stubd=`/`stubf=` lines on
 * report_fd so the launcher can remove them afterwards. Exits via die_* on failure. */
void rootfs_setup(const struct spec *s, int userns, int report_fd);

#endif
