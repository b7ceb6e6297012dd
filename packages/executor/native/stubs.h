/* Removing the mount points the launcher had to create, so a RUN step's layer does not gain them. */
#ifndef STRATA_STUBS_H
#define STRATA_STUBS_H

/* Removes, last first, every `stubf=`/`stubd=` path listed in `reports` from the rootfs: empty files and
 * empty directories only, resolved inside the rootfs. */
void stubs_remove(const char *rootfs, const char *reports);

#endif
