#define _GNU_SOURCE
#include "tree.h"
#include "../sys/fsys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void empty_pass(int fd, char *buf, size_t len, int depth);

static int remove_tree_depth(int dirfd, const char *name, int depth) {
  int r = sys_unlinkat(dirfd, name, 0);
  if (r != -EISDIR && r != -EPERM) return r;
  if (depth > 128) return -ELOOP;
  int fd = sys_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
  if (fd < 0) return fd;
  char buf[8192];
  for (int pass = 0; pass < 4; pass++) { /* deleting while listing may skip entries: list again */
    if (pass > 0) {
      r = sys_unlinkat(dirfd, name, AT_REMOVEDIR);
      if (r != -ENOTEMPTY) { sys_close(fd); return r; }
      sys_lseek(fd, 0, SEEK_SET);
    }
    empty_pass(fd, buf, sizeof buf, depth);
  }
  sys_close(fd);
  return sys_unlinkat(dirfd, name, AT_REMOVEDIR);
}

static void empty_pass(int fd, char *buf, size_t len, int depth) {
  for (;;) {
    ssize_t n = sys_getdents64(fd, buf, len);
    if (n <= 0) return;
    for (ssize_t at = 0; at < n;) {
      struct dirent64 *d = (struct dirent64 *)(buf + at);
      at += d->d_reclen;
      if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
      remove_tree_depth(fd, d->d_name, depth + 1);
    }
  }
}

int ufs_remove_tree(int dirfd, const char *name) {
  return remove_tree_depth(dirfd, name, 0);
}
