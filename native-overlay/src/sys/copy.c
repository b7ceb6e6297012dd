/* sys_copy_small_at: the seven calls of a small file's copy (open, read, close; create, write, futimens, close)
 * relative to directory descriptors, so no path is resolved from the root twice per file. */
#define _GNU_SOURCE
#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int sys_open_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* Reads fd to its end into a malloc'd buffer of `hint` + 1 bytes (grown when the file grew): getting exactly
 * `hint` bytes is the end, so a file of the expected size takes one read, as @strata/builder's readWhole.
 * -EFBIG past 1 GiB. */
static int read_all(int fd, size_t hint, char **out, size_t *len) {
  size_t cap = hint + 1, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return -ENOMEM;
  for (;;) {
    if (n == cap) {
      /* A "small" file that grew past 1 GiB while being copied is refused rather than held in memory. */
      if (cap > (1u << 30)) {
        free(buf);
        return -EFBIG;
      }
      char *more = realloc(buf, cap * 2);
      if (more == NULL) {
        free(buf);
        return -ENOMEM;
      }
      buf = more;
      cap *= 2;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      return -e;
    }
    n += (size_t)got;
    if (got == 0 || (n == hint && n < cap)) break;
  }
  *out = buf;
  *len = n;
  return 0;
}

static int write_all(int fd, const char *buf, size_t len) {
  for (size_t off = 0; off < len;) {
    ssize_t w = write(fd, buf + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    off += (size_t)w;
  }
  return 0;
}

int sys_copy_small_at(int sdir, int ddir, const char *name, size_t hint, mode_t mode, uid_t uid, gid_t gid, int flags,
                      struct timespec mtime, char **data, size_t *len, const char **step, int *on_dest) {
  *data = NULL;
  *len = 0;
  *on_dest = 0;
  *step = "open";
  int src = openat(sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (src < 0) return -errno;
  *step = "read";
  int r = read_all(src, hint, data, len);
  close(src);
  if (r < 0) return r;
  *on_dest = 1;
  *step = "create";
  int dst = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
  if (dst < 0) {
    r = -errno;
  } else {
    *step = "write";
    r = write_all(dst, *data, *len);
    if (r == 0 && (flags & SYS_COPY_CHOWN) && fchown(dst, uid, gid) < 0) {
      *step = "fchown";
      r = -errno;
    }
    if (r == 0 && (flags & SYS_COPY_CHMOD) && fchmod(dst, mode) < 0) {
      *step = "fchmod";
      r = -errno;
    }
    const struct timespec times[2] = {mtime, mtime};
    if (r == 0 && futimens(dst, times) < 0) {
      *step = "futimens";
      r = -errno;
    }
    close(dst);
  }
  if (r < 0) {
    free(*data);
    *data = NULL;
    *len = 0;
  }
  return r;
}
