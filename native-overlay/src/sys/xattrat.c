/* Extended attributes relative to a directory descriptor. Linux 6.13+ has *xattrat(2); older kernels go
 * through /proc/self/fd/N/<path>, where the l*xattr calls act on the final component itself. */
#define _GNU_SOURCE
#include "xattrat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NR_SETXATTRAT 463
#define NR_GETXATTRAT 464
#define NR_LISTXATTRAT 465
#define NR_REMOVEXATTRAT 466

struct xattr_args {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

static int no_at_syscalls; /* set once the kernel says ENOSYS */

static unsigned at_flags(const char *path) {
  return AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH);
}

/* An empty path means the descriptor's own object: then the magic link itself must be followed (and the
 * object it names is not followed any further, so an O_PATH symlink descriptor still means the link). */
static int at_path(char *out, size_t len, int dirfd, const char *path) {
  int n = *path ? snprintf(out, len, "/proc/self/fd/%d/%s", dirfd, path) : snprintf(out, len, "/proc/self/fd/%d", dirfd);
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

ssize_t sys_getxattrat(int dirfd, const char *path, const char *name, void *buf, size_t size) {
  if (!no_at_syscalls && *path) { /* O_PATH descriptors themselves (empty path) take the /proc route */
    struct xattr_args a = {.value = (uint64_t)(uintptr_t)buf, .size = (uint32_t)size};
    long n = syscall(NR_GETXATTRAT, dirfd, path, at_flags(path), name, &a, sizeof a);
    if (n >= 0) return n;
    if (errno != ENOSYS) return -errno;
    no_at_syscalls = 1;
  }
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  ssize_t n = *path ? lgetxattr(p, name, buf, size) : getxattr(p, name, buf, size);
  return n < 0 ? -errno : n;
}

int sys_setxattrat(int dirfd, const char *path, const char *name, const void *value, size_t size, int flags) {
  if (!no_at_syscalls && *path) { /* O_PATH descriptors themselves (empty path) take the /proc route */
    struct xattr_args a = {.value = (uint64_t)(uintptr_t)value, .size = (uint32_t)size, .flags = (uint32_t)flags};
    long n = syscall(NR_SETXATTRAT, dirfd, path, at_flags(path), name, &a, sizeof a);
    if (n >= 0) return 0;
    if (errno != ENOSYS) return -errno;
    no_at_syscalls = 1;
  }
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  return (*path ? lsetxattr(p, name, value, size, flags) : setxattr(p, name, value, size, flags)) < 0 ? -errno : 0;
}

ssize_t sys_listxattrat(int dirfd, const char *path, char *buf, size_t size) {
  if (!no_at_syscalls && *path) { /* O_PATH descriptors themselves (empty path) take the /proc route */
    long n = syscall(NR_LISTXATTRAT, dirfd, path, at_flags(path), buf, size);
    if (n >= 0) return n;
    if (errno != ENOSYS) return -errno;
    no_at_syscalls = 1;
  }
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  ssize_t n = *path ? llistxattr(p, buf, size) : listxattr(p, buf, size);
  return n < 0 ? -errno : n;
}

int sys_removexattrat(int dirfd, const char *path, const char *name) {
  if (!no_at_syscalls && *path) { /* O_PATH descriptors themselves (empty path) take the /proc route */
    long n = syscall(NR_REMOVEXATTRAT, dirfd, path, at_flags(path), name);
    if (n >= 0) return 0;
    if (errno != ENOSYS) return -errno;
    no_at_syscalls = 1;
  }
  char p[PATH_MAX + 32];
  int r = at_path(p, sizeof p, dirfd, path);
  if (r < 0) return r;
  return (*path ? lremovexattr(p, name) : removexattr(p, name)) < 0 ? -errno : 0;
}
