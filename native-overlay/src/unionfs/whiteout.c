/* The kernel overlay's on-disk markers: a whiteout is a 0/0 character device (or a ".wh.<name>" file where
 * mknod is refused), an opaque dir carries <ns>.overlay.opaque=y (or holds ".wh..wh..opq"). */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"
#include "../sys/sys.h"
#include "../sys/xattrat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

bool ufs_is_whiteout(const struct stat *st) {
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

bool ufs_is_wh_name(const char *name) {
  return strncmp(name, WH_PREFIX, 4) == 0;
}

static int join(char *out, size_t len, const char *dirpath, const char *prefix, const char *name) {
  int n = strcmp(dirpath, ".") == 0 ? snprintf(out, len, "%s%s", prefix, name)
                                    : snprintf(out, len, "%s/%s%s", dirpath, prefix, name);
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ufs_has_wh_file(struct ufs *u, int layer, const char *dirpath, const char *name) {
  if (layer == UPPER && !u->wh_files) return 0;
  char p[PATH_MAX];
  if (join(p, sizeof p, dirpath, WH_PREFIX, name) < 0) return 0;
  struct stat st;
  return sys_fstatat(u->layers[layer].fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool ufs_is_opaque(struct ufs *u, int layer, const char *path) {
  char v[2];
  int fd = u->layers[layer].fd;
  ssize_t n = sys_getxattrat(fd, path, "trusted.overlay.opaque", v, sizeof v);
  if (n == 1 && v[0] == 'y') return true;
  n = sys_getxattrat(fd, path, "user.overlay.opaque", v, sizeof v);
  if (n == 1 && v[0] == 'y') return true;
  char p[PATH_MAX];
  struct stat st;
  return join(p, sizeof p, path, "", WH_OPAQUE) == 0 && sys_fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int ufs_set_opaque(struct ufs *u, const char *upperpath) {
  return ufs_set_opaque_at(u, u->layers[UPPER].fd, upperpath);
}

int ufs_set_opaque_at(struct ufs *u, int dirfd, const char *path) {
  return sys_setxattrat(dirfd, path, u->opaque_xattr, "y", 1, 0);
}

/* Creates a whiteout for name in the upper dir dirpath (nothing may be there yet). */
static int create_whiteout(struct ufs *u, const char *dirpath, const char *name) {
  char p[PATH_MAX];
  int r = join(p, sizeof p, dirpath, "", name);
  if (r < 0) return r;
  if (u->privileged) {
    r = sys_mknodat(u->layers[UPPER].fd, p, S_IFCHR | 0, makedev(0, 0));
    if (r != -EPERM) return r;
    u->privileged = false; /* e.g. a user namespace without CAP_MKNOD: fall back for good */
  }
  u->wh_files = true;
  if ((r = join(p, sizeof p, dirpath, WH_PREFIX, name)) < 0) return r;
  int fd = sys_openat(u->layers[UPPER].fd, p, O_WRONLY | O_CREAT | O_EXCL, 0);
  if (fd < 0) return fd == -EEXIST ? 0 : fd;
  sys_close(fd);
  return 0;
}

int ufs_make_whiteout(struct ufs *u, const char *dirpath, const char *name) {
  char p[PATH_MAX];
  int r = join(p, sizeof p, dirpath, "", name);
  if (r < 0) return r;
  int up = u->layers[UPPER].fd;
  struct stat st;
  r = sys_fstatat(up, p, &st, AT_SYMLINK_NOFOLLOW);
  if (r == -ENOENT) return create_whiteout(u, dirpath, name);
  if (r < 0) return r;
  if (ufs_is_whiteout(&st)) return 0;
  if (u->privileged) {
    /* atomically leave a whiteout where the upper object was, then drop the object from the work dir */
    char tmp[64];
    ufs_tmpname(u, tmp, sizeof tmp);
    r = sys_renameat2(up, p, u->workfd, tmp, 4 /* RENAME_WHITEOUT */);
    if (r == 0) {
      if (S_ISDIR(st.st_mode)) {
        int wr = ufs_clear_whiteouts(u, u->workfd, tmp);
        if (wr == 0) sys_unlinkat(u->workfd, tmp, AT_REMOVEDIR);
      } else {
        sys_unlinkat(u->workfd, tmp, 0);
      }
      return 0;
    }
    if (r != -EINVAL && r != -EPERM && r != -EOPNOTSUPP) return r;
  }
  if (S_ISDIR(st.st_mode)) {
    if ((r = ufs_clear_whiteouts(u, up, p)) < 0) return r;
    r = sys_unlinkat(up, p, AT_REMOVEDIR);
  } else {
    r = sys_unlinkat(up, p, 0);
  }
  if (r < 0) return r;
  return create_whiteout(u, dirpath, name);
}

void ufs_drop_wh_file(struct ufs *u, const char *dirpath, const char *name) {
  if (!u->wh_files) return;
  char p[PATH_MAX];
  if (join(p, sizeof p, dirpath, WH_PREFIX, name) == 0) sys_unlinkat(u->layers[UPPER].fd, p, 0);
}

int ufs_clear_whiteouts(struct ufs *u, int base, const char *relpath) {
  (void)u;
  int fd = sys_openat(base, relpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
  if (fd < 0) return fd;
  char buf[4096];
  int r = 0;
  for (int pass = 0; pass < 4 && r == 0; pass++) {
    bool removed = false;
    sys_lseek(fd, 0, SEEK_SET);
    for (;;) {
      ssize_t n = sys_getdents64(fd, buf, sizeof buf);
      if (n < 0) { r = (int)n; break; }
      if (n == 0) break;
      for (ssize_t at = 0; at < n;) {
        struct dirent64 *d = (struct dirent64 *)(buf + at);
        at += d->d_reclen;
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
        struct stat st;
        if (sys_fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        if (ufs_is_whiteout(&st) || (ufs_is_wh_name(d->d_name) && S_ISREG(st.st_mode))) {
          if (sys_unlinkat(fd, d->d_name, 0) == 0) removed = true;
        } else {
          r = -ENOTEMPTY;
        }
      }
    }
    if (!removed) break;
  }
  sys_close(fd);
  return r;
}
