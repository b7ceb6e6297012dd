/* sys_scan_dir: readdir plus fstatat relative to the directory's descriptor, so no entry's path is resolved
 * from the root again (a 10,000-file context walk in Node paid a full-path lstat, a Stats object and four
 * Date objects per file). */
#define _GNU_SOURCE
#include "scan.h"
#include "xattrat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sys_scan_free(sys_scan_entry *entries, size_t n) {
  if (entries == NULL) return;
  for (size_t i = 0; i < n; i++) free(entries[i].name);
  free(entries);
}

int sys_scan_dir(const char *path, bool xattrs, sys_scan_entry **out, size_t *n) {
  *out = NULL;
  *n = 0;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int e = errno;
    close(fd);
    return -e;
  }
  sys_scan_entry *v = NULL;
  size_t len = 0, cap = 0;
  int err = 0;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (de == NULL) {
      err = errno ? -errno : 0;
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      err = -errno;
      break;
    }
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      sys_scan_entry *nv = realloc(v, ncap * sizeof *nv);
      if (nv == NULL) {
        err = -ENOMEM;
        break;
      }
      v = nv;
      cap = ncap;
    }
    char *name = strdup(de->d_name);
    if (name == NULL) {
      err = -ENOMEM;
      break;
    }
    v[len].name = name;
    v[len].st = st;
    v[len].xattr_bytes = -1;
    if (xattrs) {
      ssize_t x = sys_listxattrat(dirfd(d), de->d_name, NULL, 0);
      v[len].xattr_bytes = x == -ENOTSUP ? 0 : x < 0 ? -1 : x;
    }
    len++;
  }
  closedir(d);
  if (err < 0) {
    sys_scan_free(v, len);
    return err;
  }
  *out = v;
  *n = len;
  return 0;
}
