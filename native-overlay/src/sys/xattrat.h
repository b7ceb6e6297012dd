/* Extended attributes of a path relative to a directory descriptor, never following a final symlink. */
#ifndef STRATA_XATTRAT_H
#define STRATA_XATTRAT_H

#include <stddef.h>
#include <sys/types.h>

ssize_t sys_getxattrat(int dirfd, const char *path, const char *name, void *buf, size_t size);
int sys_setxattrat(int dirfd, const char *path, const char *name, const void *value, size_t size, int flags);
ssize_t sys_listxattrat(int dirfd, const char *path, char *buf, size_t size);
int sys_removexattrat(int dirfd, const char *path, const char *name);

#endif
