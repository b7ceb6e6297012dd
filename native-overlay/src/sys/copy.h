/* Copying small files through memory, relative to directory descriptors (a COPY of many small files). */
#ifndef STRATA_SYS_COPY_H
#define STRATA_SYS_COPY_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* What sys_copy_small_at does besides creating and writing the copy. */
enum { SYS_COPY_CHOWN = 1, SYS_COPY_CHMOD = 2 };

/* Opens a directory for the *at calls below: a descriptor, or -errno. */
int sys_open_dir(const char *path);

/* Copies file `name` of directory `sdir` to a new file `name` of directory `ddir` (O_EXCL: it must not exist)
 * through memory. The source (never a symlink) is read to its end (`hint`, its expected size, sizes the first
 * read) into *data (malloc'd, *len bytes: the caller frees it). The copy is created with mode & 0777, written,
 * then fchown'd to uid:gid with SYS_COPY_CHOWN, fchmod'd to `mode` with SYS_COPY_CHMOD, and given `mtime` as
 * access and modification time. 0, or -errno with *step naming the call that failed and *on_dest whether it
 * was on the copy (else on the source). */
int sys_copy_small_at(int sdir, int ddir, const char *name, size_t hint, mode_t mode, uid_t uid, gid_t gid, int flags,
                      struct timespec mtime, char **data, size_t *len, const char **step, int *on_dest);

#endif
