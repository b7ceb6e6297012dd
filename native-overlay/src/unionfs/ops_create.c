/* Creating names: mknod, mkdir, symlink, create (+open), link. A new object goes straight into the upper
 * dir, or, where a whiteout holds the name, is built in the work dir and swapped in (a directory replacing a
 * whiteout becomes opaque, as in the kernel overlay). */
#define _GNU_SOURCE
#include "unionfs.h"
#include "handle.h"
#include "../sys/fsys.h"
#include "../sys/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

struct spec {
  mode_t mode;        /* type and permission bits (umask already applied by the kernel) */
  dev_t rdev;
  const char *target; /* symlinks */
  struct node *link;  /* hard link source */
  int open_flags;     /* create: flags to open the result with */
  int fd;             /* create: the opened descriptor */
};

struct creds ufs_creds_for(struct ufs *u, fuse_req_t req, struct node *dir, mode_t *mode) {
  const struct fuse_ctx *ctx = fuse_req_ctx(req);
  struct creds c = {.uid = ctx->uid, .gid = ctx->gid};
  (void)u;
  if (dir->mode & S_ISGID) { /* BSD group semantics of setgid dirs */
    c.gid = dir->gid;
    if (S_ISDIR(*mode)) *mode |= S_ISGID;
  }
  return c;
}

/* Makes the object at (dirfd, name); for create, leaves the open descriptor in s->fd. */
static int make(int dirfd, const char *name, struct spec *s, struct ufs *u) {
  if (s->link) {
    if (s->link->fd >= 0) return sys_linkat(s->link->fd, "", dirfd, name, AT_EMPTY_PATH);
    char src[PATH_MAX];
    int r = node_path(s->link, NULL, src, sizeof src);
    return r < 0 ? r : sys_linkat(u->layers[UPPER].fd, src, dirfd, name, 0);
  }
  switch (s->mode & S_IFMT) {
  case S_IFDIR: return sys_mkdirat(dirfd, name, s->mode & 07777);
  case S_IFLNK: return sys_symlinkat(s->target, dirfd, name);
  case S_IFREG:
    if (s->open_flags >= 0) {
      int fd = sys_openat(dirfd, name, (s->open_flags & ~O_TRUNC) | O_CREAT | O_EXCL | O_NOFOLLOW, s->mode & 07777);
      if (fd >= 0) s->fd = fd;
      return fd < 0 ? fd : 0;
    }
    /* fallthrough */
  default: return sys_mknodat(dirfd, name, s->mode, s->rdev);
  }
}

static int own(int dirfd, const char *name, struct spec *s, struct creds c) {
  if (s->link || (c.uid == 0 && c.gid == 0)) return 0; /* made by root (us) already */
  int r = sys_fchownat(dirfd, name, c.uid, c.gid, AT_SYMLINK_NOFOLLOW);
  /* chown drops set-id bits of files: put the requested mode back */
  if (r == 0 && !S_ISLNK(s->mode) && (s->mode & 06000)) r = sys_fchmodat(dirfd, name, s->mode & 07777);
  return r;
}

static int create_in_upper(struct ufs *u, fuse_req_t req, struct node *dir, const char *name, struct spec *s,
                           struct fuse_entry_param *e) {
  if (!u->has_upper) return -EROFS;
  if (dir->type != S_IFDIR) return -ENOTDIR;
  if (strlen(name) > NAME_MAX) return -ENAMETOOLONG;
  if (ufs_is_wh_name(name)) return -EINVAL; /* would read back as a whiteout marker */
  struct found f;
  int r = ufs_resolve(u, dir, name, &f);
  if (r == 0) return -EEXIST;
  if (r != -ENOENT) return r;
  if ((r = ufs_copy_up(u, dir, false)) < 0) return r;
  char path[PATH_MAX], dirpath[PATH_MAX];
  if ((r = node_path(dir, name, path, sizeof path)) < 0) return r;
  if ((r = node_path(dir, NULL, dirpath, sizeof dirpath)) < 0) return r;
  int up = u->layers[UPPER].fd;
  struct stat st;
  /* resolve saw the upper's marker, if any (an upper dir copied up just now holds none) */
  bool over_whiteout = f.upper_whiteout, wh_file = f.upper_wh_file;
  struct creds c = ufs_creds_for(u, req, dir, &s->mode);
  if (over_whiteout) {
    char tmp[64];
    ufs_tmpname(u, tmp, sizeof tmp);
    r = make(u->workfd, tmp, s, u);
    if (r == 0) r = own(u->workfd, tmp, s, c);
    if (r == 0 && S_ISDIR(s->mode)) r = ufs_set_opaque_at(u, u->workfd, tmp);
    if (r == 0) r = S_ISDIR(s->mode) ? sys_renameat2(u->workfd, tmp, up, path, 2 /* RENAME_EXCHANGE */)
                                     : sys_renameat2(u->workfd, tmp, up, path, 0);
    if (r == 0 && S_ISDIR(s->mode)) sys_unlinkat(u->workfd, tmp, 0); /* the whiteout, swapped out */
    if (r < 0) {
      sys_unlinkat(u->workfd, tmp, S_ISDIR(s->mode) ? AT_REMOVEDIR : 0);
      if (s->fd >= 0) { sys_close(s->fd); s->fd = -1; }
      return r;
    }
  } else {
    if ((r = make(up, path, s, u)) < 0) return r;
    r = own(up, path, s, c);
    if (r == 0 && wh_file && S_ISDIR(s->mode)) r = ufs_set_opaque(u, path);
    if (r < 0) {
      if (s->fd >= 0) { sys_close(s->fd); s->fd = -1; }
      sys_unlinkat(up, path, S_ISDIR(s->mode) ? AT_REMOVEDIR : 0);
      return r;
    }
    if (wh_file) ufs_drop_wh_file(u, dirpath, name);
  }
  r = s->fd >= 0 ? sys_fstat(s->fd, &st) : sys_fstatat(up, path, &st, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return r;
  struct node *n = s->link;
  if (n) {
    node_set_name(n, dir, name);
  } else {
    n = node_new(u, dir, name, &st, UPPER, UPPER, ufs_make_ino(u, UPPER, st.st_ino));
    if (!n) return -ENOMEM;
    n->present = 1ULL << UPPER;
  }
  n->nlookup++;
  ufs_fill_entry(u, n, &st, e);
  if (s->link) e->attr.st_ino = n->ino;
  return 0;
}

static void reply_made(fuse_req_t req, fuse_ino_t parent, const char *name, struct spec *s) {
  struct ufs *u = &g_ufs;
  struct fuse_entry_param e;
  LOCK(u);
  int r = create_in_upper(u, req, node_of(parent), name, s, &e);
  UNLOCK(u);
  if (r < 0) fuse_reply_err(req, -r);
  else fuse_reply_entry(req, &e);
}

void ufs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev) {
  struct spec s = {.mode = mode, .rdev = rdev, .open_flags = -1, .fd = -1};
  if (S_ISDIR(mode) || S_ISLNK(mode)) { fuse_reply_err(req, EINVAL); return; }
  reply_made(req, parent, name, &s);
}

void ufs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
  struct spec s = {.mode = S_IFDIR | (mode & 07777), .open_flags = -1, .fd = -1};
  reply_made(req, parent, name, &s);
}

void ufs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name) {
  struct spec s = {.mode = S_IFLNK | 0777, .target = link, .open_flags = -1, .fd = -1};
  reply_made(req, parent, name, &s);
}

void ufs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname) {
  struct ufs *u = &g_ufs;
  struct fuse_entry_param e;
  LOCK(u);
  struct node *n = node_of(ino);
  int r = n->type == S_IFDIR ? -EPERM : ufs_copy_up(u, n, false);
  struct spec s = {.mode = n->type, .link = n, .open_flags = -1, .fd = -1};
  if (r == 0) r = create_in_upper(u, req, node_of(newparent), newname, &s, &e);
  UNLOCK(u);
  if (r < 0) fuse_reply_err(req, -r);
  else fuse_reply_entry(req, &e);
}

void ufs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi) {
  struct ufs *u = &g_ufs;
  struct fuse_entry_param e;
  struct spec s = {.mode = S_IFREG | (mode & 07777), .open_flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY),
                   .fd = -1};
  struct handle *h = calloc(1, sizeof *h);
  if (!h) { fuse_reply_err(req, ENOMEM); return; }
  LOCK(u);
  int r = create_in_upper(u, req, node_of(parent), name, &s, &e);
  if (r == 0 && s.fd < 0) { /* made in the work dir: open it where it now lives */
    char path[PATH_MAX];
    r = node_path(node_of(e.ino), NULL, path, sizeof path);
    if (r == 0) r = s.fd = sys_openat(u->layers[UPPER].fd, path, s.open_flags | O_NOFOLLOW, 0);
    if (r > 0) r = 0;
  }
  struct node *n = r == 0 ? node_of(e.ino) : NULL;
  if (n) {
    h->fd = s.fd;
    h->node = n;
    int id = ufs_backing_open(u, s.fd);
    if (id > 0) {
      n->backing_id = id;
      n->backing_refs = 1;
      n->backing_layer = UPPER;
      h->backing_id = id;
    }
  }
  UNLOCK(u);
  if (r < 0) { free(h); fuse_reply_err(req, -r); return; }
  tracked_add(&h->tr, ufs_release_tracked);
  fi->fh = (uint64_t)(uintptr_t)h;
  fi->keep_cache = 1;
  if (ufs_reply_create(req, &e, fi, h->backing_id) == -ENOENT) ufs_op_release_handle(h);
}
