/* Extended attributes of merged objects. Setting or removing one copies the object up first. The overlay's
 * own attributes (trusted.overlay.*, user.overlay.*) describe the layers, not the file: never shown. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "handle.h"
#include "../sys/xattrat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool private_name(const char *name) {
  return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

/* (dirfd, path) of n for the xattr calls; "" names the kept descriptor of a node whose name is gone. */
static int where(struct ufs *u, struct node *n, int *dirfd, char *path, size_t len) {
  if (n->fd >= 0) {
    *dirfd = n->fd;
    path[0] = 0;
    return 0;
  }
  *dirfd = u->layers[n->layer].fd;
  return node_path(n, NULL, path, len);
}

void ufs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size) {
  struct ufs *u = &g_ufs;
  if (private_name(name)) { fuse_reply_err(req, ENODATA); return; }
  char path[PATH_MAX];
  int dirfd = -1;
  char *buf = size ? malloc(size) : NULL;
  if (size && !buf) { fuse_reply_err(req, ENOMEM); return; }
  LOCK(u);
  ssize_t r = where(u, node_of(ino), &dirfd, path, sizeof path);
  if (r == 0) r = sys_getxattrat(dirfd, path, name, buf, size);
  UNLOCK(u);
  if (r < 0) fuse_reply_err(req, (int)-r);
  else if (size == 0) fuse_reply_xattr(req, (size_t)r);
  else fuse_reply_buf(req, buf, (size_t)r);
  free(buf);
}

void ufs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  struct ufs *u = &g_ufs;
  char path[PATH_MAX];
  int dirfd = -1;
  LOCK(u);
  ssize_t r = where(u, node_of(ino), &dirfd, path, sizeof path);
  ssize_t want = r == 0 ? sys_listxattrat(dirfd, path, NULL, 0) : r;
  char *buf = want > 0 ? malloc((size_t)want) : NULL;
  if (want > 0 && !buf) want = -ENOMEM;
  if (want > 0) want = sys_listxattrat(dirfd, path, buf, (size_t)want);
  UNLOCK(u);
  if (want < 0) { fuse_reply_err(req, (int)-want); free(buf); return; }
  size_t out = 0; /* compact the list without the private names */
  for (ssize_t at = 0; at < want;) {
    size_t l = strlen(buf + at) + 1;
    if (!private_name(buf + at)) {
      memmove(buf + out, buf + at, l);
      out += l;
    }
    at += (ssize_t)l;
  }
  if (size == 0) fuse_reply_xattr(req, out);
  else if (out > size) fuse_reply_err(req, ERANGE);
  else fuse_reply_buf(req, buf, out);
  free(buf);
}

static int change(struct ufs *u, struct node *n, const char *name, const char *value, size_t size, int flags,
                  bool remove) {
  if (private_name(name)) return -EPERM;
  if (!u->has_upper) return -EROFS;
  int r = ufs_copy_up(u, n, false);
  char path[PATH_MAX];
  int dirfd = -1;
  if (r == 0) r = where(u, n, &dirfd, path, sizeof path);
  if (r < 0) return r;
  return remove ? sys_removexattrat(dirfd, path, name) : sys_setxattrat(dirfd, path, name, value, size, flags);
}

void ufs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags) {
  LOCK(&g_ufs);
  int r = change(&g_ufs, node_of(ino), name, value, size, flags, false);
  UNLOCK(&g_ufs);
  fuse_reply_err(req, -r);
}

void ufs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name) {
  LOCK(&g_ufs);
  int r = change(&g_ufs, node_of(ino), name, NULL, 0, 0, true);
  UNLOCK(&g_ufs);
  fuse_reply_err(req, -r);
}
