/* Through /proc/self/fd/N/<path>: the l*xattr calls resolve the path below the directory descriptor and act
 * on the final component itself. (getxattrat(2) exists only from Linux 6.13; this works everywhere.) */
#include "xattrat.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/xattr.h>

/* An empty path means the descriptor's own object: then the magic link itself must be followed (and the
 * object it names is not followed any further, so an O_PATH symlink descriptor still means the link). */
static int at_path(char *out, size_t len, int dirfd, const char *path) {
  int n = *path ? snprintf(out, len, "/proc/self/fd/%d/%s", dirfd, path) : snprintf(out, len, "/proc/self/fd/%d", dirfd);
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

ssize_t sys_getxattrat(int dirfd, const char *path, const char *name, void *buf, size_t size) {
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  ssize_t n = *path ? lgetxattr(p, name, buf, size) : getxattr(p, name, buf, size);
  return n < 0 ? -errno : n;
}

int sys_setxattrat(int dirfd, const char *path, const char *name, const void *value, size_t size, int flags) {
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  return (*path ? lsetxattr(p, name, value, size, flags) : setxattr(p, name, value, size, flags)) < 0 ? -errno : 0;
}

ssize_t sys_listxattrat(int dirfd, const char *path, char *buf, size_t size) {
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  ssize_t n = *path ? llistxattr(p, buf, size) : listxattr(p, buf, size);
  return n < 0 ? -errno : n;
}

int sys_removexattrat(int dirfd, const char *path, const char *name) {
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  return (*path ? lremovexattr(p, name) : removexattr(p, name)) < 0 ? -errno : 0;
}
