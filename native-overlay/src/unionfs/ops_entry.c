/* lookup/forget/getattr/setattr/readlink/statfs. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "handle.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

void ufs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  struct ufs *u = &g_ufs;
  struct fuse_entry_param e;
  LOCK(u);
  int r = ufs_lookup(u, node_of(parent), name, &e);
  UNLOCK(u);
  if (r == -ENOENT) { /* cache the miss: every create goes through us and invalidates it */
    memset(&e, 0, sizeof e);
    e.entry_timeout = u->opt.timeout;
    fuse_reply_entry(req, &e);
  } else if (r < 0) {
    fuse_reply_err(req, -r);
  } else {
    fuse_reply_entry(req, &e);
  }
}

void ufs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  LOCK(&g_ufs);
  node_forget(&g_ufs, node_of(ino), nlookup);
  UNLOCK(&g_ufs);
  fuse_reply_none(req);
}

void ufs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets) {
  LOCK(&g_ufs);
  for (size_t i = 0; i < count; i++) node_forget(&g_ufs, node_of(forgets[i].ino), forgets[i].nlookup);
  UNLOCK(&g_ufs);
  fuse_reply_none(req);
}

void ufs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct ufs *u = &g_ufs;
  struct stat st;
  LOCK(u);
  struct node *n = node_of(ino);
  int r;
  if (fi && fi->fh) {
    r = sys_fstat(((struct handle *)(uintptr_t)fi->fh)->fd, &st);
    ufs_present(n, &st);
  } else {
    r = ufs_node_stat(u, n, &st);
  }
  UNLOCK(u);
  if (r < 0) fuse_reply_err(req, -r);
  else fuse_reply_attr(req, &st, u->opt.timeout);
}

/* Where path-based calls reach n: (dirfd, path); for a node whose name is gone, its kept O_PATH fd. */
int ufs_node_at(struct ufs *u, struct node *n, int *dirfd, char *path, size_t len, bool *viafd) {
  *viafd = n->fd >= 0;
  if (*viafd) {
    *dirfd = AT_FDCWD;
    int k = snprintf(path, len, "/proc/self/fd/%d", n->fd);
    return k < 0 || (size_t)k >= len ? -ENAMETOOLONG : 0;
  }
  *dirfd = u->layers[n->layer].fd;
  return node_path(n, NULL, path, len);
}

static int truncate_node(struct ufs *u, struct node *n, off_t size, struct fuse_file_info *fi) {
  if (fi && fi->fh) return sys_ftruncate(((struct handle *)(uintptr_t)fi->fh)->fd, size);
  char path[PATH_MAX];
  int dirfd = -1;
  bool viafd;
  int r = ufs_node_at(u, n, &dirfd, path, sizeof path, &viafd);
  if (r < 0) return r;
  int fd = sys_openat(dirfd, path, O_WRONLY | (viafd ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return fd;
  r = sys_ftruncate(fd, size);
  sys_close(fd);
  return r;
}

/* 0, or 1 when *done already holds the result (a chmod applied by the copy-up itself), or -errno. */
static int apply_setattr(struct ufs *u, struct node *n, struct stat *a, int set, struct fuse_file_info *fi,
                         struct stat *done) {
  bool trunc_only = set == FUSE_SET_ATTR_SIZE && a->st_size == 0;
  if ((set & FUSE_SET_ATTR_SIZE) && lower_backing_busy(n)) return -ETXTBSY;
  /* chmod of a lower file: the copy is made with the new mode, and its stat is the reply */
  struct copy_extra x = {.mode = set == FUSE_SET_ATTR_MODE ? (int)(a->st_mode & 07777) : -1, .fd = -1};
  int r = ufs_copy_up_ex(u, n, trunc_only, &x);
  if (r < 0) return r;
  if (x.mode >= 0 && x.have_st) {
    *done = x.st;
    return 1;
  }
  char path[PATH_MAX];
  int dirfd = -1;
  bool viafd;
  if ((r = ufs_node_at(u, n, &dirfd, path, sizeof path, &viafd)) < 0) return r;
  int nofollow = viafd ? 0 : AT_SYMLINK_NOFOLLOW;
  if (set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
    uid_t uid = set & FUSE_SET_ATTR_UID ? a->st_uid : (uid_t)-1;
    gid_t gid = set & FUSE_SET_ATTR_GID ? a->st_gid : (gid_t)-1;
    r = viafd ? sys_fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH) : sys_fchownat(dirfd, path, uid, gid, nofollow);
    if (r < 0) return r;
  }
  if ((set & FUSE_SET_ATTR_MODE) && n->type == S_IFLNK) return -EOPNOTSUPP; /* would follow the link */
  if ((set & FUSE_SET_ATTR_MODE) && (r = sys_fchmodat(dirfd, path, a->st_mode & 07777)) < 0) return r;
  if ((set & FUSE_SET_ATTR_SIZE) && (r = truncate_node(u, n, a->st_size, fi)) < 0) return r;
  if (set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
    if (set & FUSE_SET_ATTR_ATIME_NOW) ts[0].tv_nsec = UTIME_NOW;
    else if (set & FUSE_SET_ATTR_ATIME) ts[0] = a->st_atim;
    if (set & FUSE_SET_ATTR_MTIME_NOW) ts[1].tv_nsec = UTIME_NOW;
    else if (set & FUSE_SET_ATTR_MTIME) ts[1] = a->st_mtim;
    if ((r = sys_utimensat(dirfd, path, ts, nofollow)) < 0) return r;
  }
  return 0;
}

void ufs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
  struct ufs *u = &g_ufs;
  struct stat st;
  LOCK(u);
  struct node *n = node_of(ino);
  int r = apply_setattr(u, n, attr, to_set, fi, &st);
  if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE)) ufs_kill_privs(u, req, n);
  if (r == 1) { ufs_present(n, &st); r = 0; }
  else if (r == 0) r = ufs_node_stat(u, n, &st);
  if (r == 0) { n->mode = st.st_mode; n->gid = st.st_gid; }
  UNLOCK(u);
  if (r < 0) fuse_reply_err(req, -r);
  else fuse_reply_attr(req, &st, u->opt.timeout);
}

void ufs_op_readlink(fuse_req_t req, fuse_ino_t ino) {
  struct ufs *u = &g_ufs;
  char path[PATH_MAX], target[PATH_MAX + 1];
  LOCK(u);
  struct node *n = node_of(ino);
  ssize_t r = n->fd >= 0 ? 0 : node_path(n, NULL, path, sizeof path);
  if (r == 0) r = n->fd >= 0 ? sys_readlinkat(n->fd, "", target, PATH_MAX)
                             : sys_readlinkat(u->layers[n->layer].fd, path, target, PATH_MAX);
  UNLOCK(u);
  if (r < 0) { fuse_reply_err(req, (int)-r); return; }
  target[r] = 0;
  fuse_reply_readlink(req, target);
}

void ufs_op_statfs(fuse_req_t req, fuse_ino_t ino) {
  (void)ino;
  struct ufs *u = &g_ufs;
  struct statvfs sv;
  int fd = u->has_upper ? u->layers[UPPER].fd : u->layers[1].fd;
  /* O_PATH descriptors cannot fstatvfs: open the root for reading */
  int rfd = sys_openat(fd, ".", O_RDONLY | O_DIRECTORY, 0);
  if (rfd < 0) { fuse_reply_err(req, -rfd); return; }
  int r = sys_fstatvfs(rfd, &sv);
  sys_close(rfd);
  if (r < 0) fuse_reply_err(req, -r);
  else fuse_reply_statfs(req, &sv);
}
