/* Open files. With passthrough the kernel reads and writes the real file itself; all opens of one node share
 * one backing (the kernel refuses two different backings for one inode). Without it, data is spliced
 * through the daemon and the page cache is kept across opens (every change comes through this mount). */
#define _GNU_SOURCE
#include "unionfs.h"
#include "handle.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

static bool wants_write(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* The kernel allows one passthrough backing per inode. While readers hold a lower file's backing, a writer
 * cannot get the upper copy's (EBUSY) nor go without one (EIO): refuse it up front, as Linux refuses to
 * write a running executable. Metadata-only copy-up stays possible: the bytes do not diverge. */
bool lower_backing_busy(const struct node *n) {
  return n->backing_refs > 0 && n->backing_layer != UPPER;
}

void ufs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct ufs *u = &g_ufs;
  struct handle *h = calloc(1, sizeof *h);
  if (!h) { fuse_reply_err(req, ENOMEM); return; }
  h->fd = -1;
  LOCK(u);
  struct node *n = node_of(ino);
  int r = 0;
  /* with passthrough the kernel reads and writes through a file of its own (opened with the caller's flags),
   * so the copy-up's own read-write descriptor can serve as ours: one open and one close fewer */
  struct copy_extra x = {.mode = -1, .keep_fd = u->passthrough && n->backing_refs == 0, .fd = -1};
  if (wants_write(fi->flags) && lower_backing_busy(n)) r = -ETXTBSY;
  else if (wants_write(fi->flags)) r = u->has_upper ? ufs_copy_up_ex(u, n, (fi->flags & O_TRUNC) != 0, &x) : -EROFS;
  if (r == 0 && wants_write(fi->flags)) ufs_kill_privs(u, req, n);
  h->node = n;
  if (r == 0 && x.fd >= 0) {
    int id = ufs_backing_open(u, x.fd);
    if (id > 0) {
      h->fd = x.fd;
      n->backing_id = h->backing_id = id;
      n->backing_refs = 1;
      n->backing_layer = UPPER;
    } else {
      sys_close(x.fd); /* no backing after all: data goes through us, on a descriptor with the caller's flags */
    }
  }
  char path[PATH_MAX];
  int dirfd = -1;
  bool viafd;
  if (r == 0 && h->fd < 0) r = ufs_node_at(u, n, &dirfd, path, sizeof path, &viafd);
  int flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
  if (r == 0 && h->fd < 0) r = h->fd = sys_openat(dirfd, path, flags | (viafd ? 0 : O_NOFOLLOW), 0);
  if (r > 0) r = 0;
  if (r == 0 && u->passthrough && n->type == S_IFREG && h->backing_id == 0) {
    if (n->backing_refs > 0) { /* one backing per inode; a lower one still holds the same bytes */
      n->backing_refs++;
      h->backing_id = n->backing_id;
    } else {
      int id = ufs_backing_open(u, h->fd);
      if (id > 0) {
        n->backing_id = id;
        n->backing_refs = 1;
        n->backing_layer = n->layer;
        h->backing_id = id;
      }
    }
  }
  UNLOCK(u);
  if (r < 0) {
    free(h);
    fuse_reply_err(req, -r);
    return;
  }
  tracked_add(&h->tr, ufs_release_tracked);
  fi->fh = (uint64_t)(uintptr_t)h;
  if (!fi->direct_io) fi->keep_cache = 1;
  fi->noflush = !wants_write(fi->flags);
  if (ufs_reply_open(req, fi, h->backing_id) == -ENOENT) ufs_op_release_handle(h);
}

void ufs_release_tracked(struct tracked *t) {
  struct handle *h = (struct handle *)t;
  if (h->fd >= 0) sys_close(h->fd);
  free(h); /* at shutdown: backings die with the connection */
}

void ufs_op_release_handle(struct handle *h) {
  struct ufs *u = &g_ufs;
  tracked_remove(&h->tr);
  if (h->backing_id > 0) {
    LOCK(u);
    struct node *n = h->node;
    if (n->backing_refs > 0 && --n->backing_refs == 0) {
      ufs_backing_close(u, n->backing_id);
      n->backing_id = 0;
    }
    UNLOCK(u);
  }
  if (h->fd >= 0) sys_close(h->fd);
  free(h);
}

void ufs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  ufs_op_release_handle((struct handle *)(uintptr_t)fi->fh);
  fuse_reply_err(req, 0);
}

void ufs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)ino;
  struct handle *h = (struct handle *)(uintptr_t)fi->fh;
  struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
  buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  buf.buf[0].fd = h->fd;
  buf.buf[0].pos = off;
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void ufs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off, struct fuse_file_info *fi) {
  (void)ino;
  struct handle *h = (struct handle *)(uintptr_t)fi->fh;
  struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
  out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  out.buf[0].fd = h->fd;
  out.buf[0].pos = off;
  ssize_t n = fuse_buf_copy(&out, in, 0);
  if (n < 0) fuse_reply_err(req, (int)-n);
  else fuse_reply_write(req, (size_t)n);
}

void ufs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
  (void)ino;
  struct handle *h = (struct handle *)(uintptr_t)fi->fh;
  fuse_reply_err(req, -sys_fsync(h->fd, datasync));
}

void ufs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
  (void)ino;
  struct handle *h = (struct handle *)(uintptr_t)fi->fh;
  fuse_reply_err(req, -sys_fallocate(h->fd, mode, off, len));
}
