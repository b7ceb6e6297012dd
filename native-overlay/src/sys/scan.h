/* Listing one directory with every entry's lstat, for walking build contexts. */
#ifndef STRATA_SYS_SCAN_H
#define STRATA_SYS_SCAN_H

#include <stddef.h>
#include <sys/stat.h>

typedef struct {
  char *name;
  struct stat st;
} sys_scan_entry;

/* The entries of `path` (not . and ..) with their lstat, in directory order. *out is heap memory to release
 * with sys_scan_free. An entry removed between the listing and its stat is left out. 0 or -errno. */
int sys_scan_dir(const char *path, sys_scan_entry **out, size_t *n);
void sys_scan_free(sys_scan_entry *entries, size_t n);

#endif
