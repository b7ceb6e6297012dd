/* Listing one directory with every entry's lstat, for walking build contexts. */
#ifndef STRATA_SYS_SCAN_H
#define STRATA_SYS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct {
  char *name;
  struct stat st;
  /* With `xattrs`: the size of the entry's xattr name list (0: none, or a filesystem without xattrs), -1 when
   * it could not be listed. Otherwise -1. */
  ssize_t xattr_bytes;
} sys_scan_entry;

/* The entries of `path` (not . and ..) with their lstat, in directory order, and with `xattrs` the size of
 * each one's xattr name list. *out is heap memory to release with sys_scan_free. An entry removed between the
 * listing and its stat is left out. 0 or -errno. */
int sys_scan_dir(const char *path, bool xattrs, sys_scan_entry **out, size_t *n);
void sys_scan_free(sys_scan_entry *entries, size_t n);

#endif
