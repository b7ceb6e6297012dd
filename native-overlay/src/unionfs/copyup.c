/* Copy-up: a lower object is rebuilt in the work dir (data, owner, mode, xattrs, times) and renamed into the
 * upper layer in one step, parents first, so a crash never leaves a half-copied object visible. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"
#include "../sys/sys.h"
#include "../sys/xattrat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ufs_tmpname(struct ufs *u, char *buf, size_t len) {
  uint64_t seq = __atomic_add_fetch(&u->tmpseq, 1, __ATOMIC_RELAXED);
  snprintf(buf, len, "#strata-%d-%llu", u->pid, (unsigned long long)seq);
}

static bool private_xattr(const char *name) {
  return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

int ufs_copy_xattrs(struct ufs *u, int srcdirfd, const char *src, int dstdirfd, const char *dst) {
  char stackbuf[1024];
  char *list = stackbuf;
  ssize_t n = sys_listxattrat(srcdirfd, src, list, sizeof stackbuf);
  if (n == -ERANGE) {
    ssize_t want = sys_listxattrat(srcdirfd, src, NULL, 0);
    if (want < 0) return (int)want;
    list = malloc((size_t)want + 1);
    if (!list) return -ENOMEM;
    n = sys_listxattrat(srcdirfd, src, list, (size_t)want);
  }
  if (n == -ENOTSUP || n == -EOPNOTSUPP) n = 0;
  int r = n < 0 ? (int)n : 0;
  char *value = NULL;
  size_t cap = 0;
  for (ssize_t at = 0; r == 0 && at < n; at += (ssize_t)strlen(list + at) + 1) {
    const char *name = list + at;
    if (private_xattr(name)) continue;
    ssize_t vl = sys_getxattrat(srcdirfd, src, name, NULL, 0);
    if (vl == -ENODATA) continue;
    if (vl < 0) { r = (int)vl; break; }
    if ((size_t)vl > cap) {
      char *nv = realloc(value, (size_t)vl);
      if (!nv) { r = -ENOMEM; break; }
      value = nv;
      cap = (size_t)vl;
    }
    vl = sys_getxattrat(srcdirfd, src, name, value, (size_t)vl);
    if (vl < 0) { r = (int)vl; break; }
    int w = sys_setxattrat(dstdirfd, dst, name, value, (size_t)vl, 0);
    /* an unprivileged daemon cannot write trusted.* or security.*: the kernel overlay skips those too */
    if (w < 0 && !((w == -EPERM || w == -ENOTSUP || w == -EOPNOTSUPP) && !u->privileged)) r = w;
  }
  free(value);
  if (list != stackbuf) free(list);
  return r;
}

static int copy_data(struct ufs *u, int in, int out, off_t size) {
  if (size == 0) return 0;
  if (!u->no_clone) {
    int c = sys_ficlone(out, in);
    if (c == 0) return 0;
    if (c == -EOPNOTSUPP || c == -ENOTTY || c == -EINVAL || c == -ENOSYS) u->no_clone = true;
  }
  off_t done = 0;
  while (done < size) {
    ssize_t n = sys_copy_file_range(in, out, (size_t)(size - done));
    if (n == 0) break;
    if (n < 0) {
      if (n != -EXDEV && n != -ENOSYS && n != -EOPNOTSUPP && n != -EINVAL) return (int)n;
      /* plain copy where copy_file_range cannot go */
      static __thread char buf[1 << 16];
      for (;;) {
        ssize_t rd = sys_pread(in, buf, sizeof buf, done);
        if (rd < 0) return (int)rd;
        if (rd == 0) return 0;
        for (ssize_t w = 0; w < rd;) {
          ssize_t k = sys_pwrite(out, buf + w, (size_t)(rd - w), done + w);
          if (k < 0) return (int)k;
          w += k;
        }
        done += rd;
      }
    }
    done += n;
  }
  return 0;
}

/* A regular file's copy, all through descriptors (fewer path walks than the generic path below). */
static int reg_copy(struct ufs *u, int in, int out, const struct stat *st, mode_t mode, bool trunc, bool made_final) {
  int r = trunc ? 0 : copy_data(u, in, out, st->st_size);
  if (r == 0 && !made_final) r = sys_fchown(out, st->st_uid, st->st_gid);
  if (r == 0 && !made_final) r = sys_fchmod(out, mode);
  char stack[4096];
  char *list = stack;
  ssize_t n = r == 0 ? sys_flistxattr(in, list, sizeof stack) : 0;
  if (n == -ERANGE) { /* a long list: size it, then read it */
    n = sys_flistxattr(in, NULL, 0);
    list = n > 0 ? malloc((size_t)n) : NULL;
    if (n > 0 && !list) return -ENOMEM;
    if (n > 0) n = sys_flistxattr(in, list, (size_t)n);
  }
  static __thread char value[65536];
  for (ssize_t at = 0; r == 0 && n > 0 && at < n; at += (ssize_t)strlen(list + at) + 1) {
    const char *name = list + at;
    if (private_xattr(name)) continue;
    ssize_t vl = sys_fgetxattr(in, name, value, sizeof value);
    if (vl == -ENODATA) continue;
    if (vl < 0) { r = (int)vl; break; }
    int wr = sys_fsetxattr(out, name, value, (size_t)vl, 0);
    if (wr < 0 && !((wr == -EPERM || wr == -ENOTSUP || wr == -EOPNOTSUPP) && !u->privileged)) r = wr;
  }
  if (n < 0 && n != -ENOTSUP && n != -EOPNOTSUPP) r = (int)n;
  if (list != stack) free(list);
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (r == 0) r = sys_futimens(out, ts);
  return r;
}

/* Builds a copy of layer/path as work/tmp; a regular file's copy is left open (read-write) in *outfd. */
static int build_copy(struct ufs *u, int srcfd, const char *path, const struct stat *st, const char *tmp, bool trunc,
                      int mode, int *outfd) {
  int w = u->workfd, r = 0;
  switch (st->st_mode & S_IFMT) {
  case S_IFREG: {
    int in = sys_openat(srcfd, path, O_RDONLY | O_NOFOLLOW, 0);
    if (in < 0) return in;
    mode_t want = mode >= 0 ? (mode_t)mode : st->st_mode & 07777;
    /* created with its final owner and mode when those need no chown (the umask is 0); set-id files stay
     * private until complete, and a chown would clear their bits anyway */
    bool final = st->st_uid == u->made_uid && st->st_gid == u->made_gid && !(want & 06000);
    int out = sys_openat(w, tmp, O_RDWR | O_CREAT | O_EXCL, final ? want : 0600);
    if (out < 0) { sys_close(in); return out; }
    r = reg_copy(u, in, out, st, want, trunc, final);
    sys_close(in);
    if (r < 0) sys_close(out);
    else *outfd = out;
    return r;
  }
  case S_IFDIR:
    r = sys_mkdirat(w, tmp, 0700);
    break;
  case S_IFLNK: {
    char target[PATH_MAX + 1];
    ssize_t n = sys_readlinkat(srcfd, path, target, PATH_MAX);
    if (n < 0) return (int)n;
    target[n] = 0;
    r = sys_symlinkat(target, w, tmp);
    break;
  }
  default:
    r = sys_mknodat(w, tmp, st->st_mode, st->st_rdev);
  }
  if (r < 0) return r;
  if ((r = sys_fchownat(w, tmp, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW)) < 0) return r;
  if (!S_ISLNK(st->st_mode) && (r = sys_fchmodat(w, tmp, st->st_mode & 07777)) < 0) return r;
  if ((r = ufs_copy_xattrs(u, srcfd, path, w, tmp)) < 0) return r;
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  return sys_utimensat(w, tmp, ts, AT_SYMLINK_NOFOLLOW);
}

int ufs_copy_up(struct ufs *u, struct node *n, bool trunc) {
  return ufs_copy_up_ex(u, n, trunc, NULL);
}

int ufs_copy_up_ex(struct ufs *u, struct node *n, bool trunc, struct copy_extra *x) {
  if (x) { x->fd = -1; x->have_st = false; }
  if (n->layer == UPPER) return 0;
  if (!u->has_upper) return -EROFS;
  if (!n->parent) return -EIO; /* the root always has an upper dir when there is an upper */
  if (n->fd >= 0) return -ENOENT; /* its name is gone: nothing to copy up to */
  int r = ufs_copy_up(u, n->parent, false);
  if (r < 0) return r;
  char path[PATH_MAX], ppath[PATH_MAX], tmp[64];
  if ((r = node_path(n, NULL, path, sizeof path)) < 0) return r;
  if ((r = node_path(n->parent, NULL, ppath, sizeof ppath)) < 0) return r;
  int src = u->layers[n->layer].fd, up = u->layers[UPPER].fd;
  struct stat st, pst;
  if ((r = sys_fstatat(src, path, &st, AT_SYMLINK_NOFOLLOW)) < 0) return r;
  bool have_pst = sys_fstatat(up, ppath, &pst, 0) == 0;
  ufs_tmpname(u, tmp, sizeof tmp);
  int outfd = -1;
  r = build_copy(u, src, path, &st, tmp, trunc, x && S_ISREG(st.st_mode) ? x->mode : -1, &outfd);
  if (r == 0) r = sys_renameat2(u->workfd, tmp, up, path, 0);
  if (r < 0) {
    if (outfd >= 0) sys_close(outfd);
    if (S_ISDIR(st.st_mode)) sys_unlinkat(u->workfd, tmp, AT_REMOVEDIR);
    else sys_unlinkat(u->workfd, tmp, 0);
    return r;
  }
  if (have_pst) { /* the parent's times are the lower's, not the moment of our copy-up */
    struct timespec ts[2] = {pst.st_atim, pst.st_mtim};
    sys_utimensat(up, ppath, ts, 0);
  }
  /* a regular file's copy is still open: its stat after the rename (which sets ctime) costs no path walk */
  struct stat nst;
  if (outfd >= 0 ? sys_fstat(outfd, &nst) == 0 : sys_fstatat(up, path, &nst, AT_SYMLINK_NOFOLLOW) == 0) {
    node_rehash(u, n, nst.st_dev, nst.st_ino);
    if (x && outfd >= 0) { x->st = nst; x->have_st = true; }
  }
  if (x && x->keep_fd && outfd >= 0) x->fd = outfd;
  else if (outfd >= 0) sys_close(outfd);
  bool was_merged = n->last > n->layer;
  n->layer = UPPER;
  n->present |= 1ULL << UPPER;
  /* a lower-only dir that gained an upper is merged now: its link count reads 1 from here on, and the
   * kernel must not keep serving the cached one (attributes are otherwise cached for the mount's life) */
  if (S_ISDIR(st.st_mode) && !was_merged && n->nlookup > 0 && u->se)
    fuse_lowlevel_notify_inval_inode(u->se, node_id(n), -1, 0);
  return 0;
}
