/* Extended attributes on the path itself (never through a final symlink): the l* family. */
#include "sys.h"

#include <errno.h>
#include <sys/xattr.h>

ssize_t sys_lgetxattr(const char *path, const char *name, void *buf, size_t size) {
  ssize_t n = lgetxattr(path, name, buf, size);
  return n < 0 ? -errno : n;
}

int sys_lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags) {
  return lsetxattr(path, name, value, size, flags) < 0 ? -errno : 0;
}

ssize_t sys_llistxattr(const char *path, char *buf, size_t size) {
  ssize_t n = llistxattr(path, buf, size);
  return n < 0 ? -errno : n;
}

int sys_lremovexattr(const char *path, const char *name) {
  return lremovexattr(path, name) < 0 ? -errno : 0;
}
