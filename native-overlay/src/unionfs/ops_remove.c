/* Removing and moving names: unlink, rmdir, rename. A name that also exists in a lower layer is replaced by
 * a whiteout. Renaming a directory that is merged with (or lives only in) a lower layer fails with EXDEV,
 * exactly as the kernel overlay does without redirect_dir: callers (mv, cp) then copy and delete. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"
#include "../sys/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* The node already standing for an object found under dir, or NULL. */
static struct node *known(struct ufs *u, const struct found *f) {
  struct node *n = node_find(u, f->st.st_dev, f->st.st_ino);
  return n && n->type == (f->st.st_mode & S_IFMT) ? n : NULL;
}

/* Before deleting the name n is reached by, keep n usable when other links to its object remain. */
static void detach_name(struct ufs *u, struct node *n, struct node *dir, const char *name, const struct found *f) {
  if (!n) return;
  bool ours = n->parent == dir && strcmp(n->name, name) == 0;
  if (f->layer == UPPER && f->st.st_nlink > 1 && !S_ISDIR(f->st.st_mode)) {
    if (ours && n->fd < 0) {
      char path[PATH_MAX];
      if (node_path(n, NULL, path, sizeof path) == 0) {
        int fd = sys_openat(u->layers[UPPER].fd, path, O_PATH | O_NOFOLLOW, 0);
        if (fd >= 0) n->fd = fd;
      }
    }
    return;
  }
  /* the object is gone for good: its (dev, ino) may be reused by the next file */
  if (f->layer == UPPER || ours) node_unhash(u, n);
}

static int remove_name(struct ufs *u, struct node *dir, const char *name, bool isdir) {
  if (!u->has_upper) return -EROFS;
  struct found f;
  int r = ufs_resolve(u, dir, name, &f);
  if (r < 0) return r;
  if (isdir && !S_ISDIR(f.st.st_mode)) return -ENOTDIR;
  if (!isdir && S_ISDIR(f.st.st_mode)) return -EISDIR;
  struct node *n = known(u, &f);
  if (isdir) {
    struct node tmp = {.parent = dir, .name = (char *)name, .layer = f.layer, .last = f.last, .type = S_IFDIR,
                       .present = f.present};
    int count = ufs_count_visible(u, &tmp, 1); /* f is fresher than any node */
    if (count < 0) return count;
    if (count > 0) return -ENOTEMPTY;
  }
  if ((r = ufs_copy_up(u, dir, false)) < 0) return r;
  char dirpath[PATH_MAX], path[PATH_MAX];
  if ((r = node_path(dir, NULL, dirpath, sizeof dirpath)) < 0) return r;
  if ((r = node_path(dir, name, path, sizeof path)) < 0) return r;
  detach_name(u, n, dir, name, &f);
  if (f.layer != UPPER || f.lower_below) return ufs_make_whiteout(u, dirpath, name);
  if (isdir) {
    if ((r = ufs_clear_whiteouts(u, u->layers[UPPER].fd, path)) < 0) return r;
    return sys_unlinkat(u->layers[UPPER].fd, path, AT_REMOVEDIR);
  }
  return sys_unlinkat(u->layers[UPPER].fd, path, 0);
}

void ufs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
  LOCK(&g_ufs);
  int r = remove_name(&g_ufs, node_of(parent), name, false);
  UNLOCK(&g_ufs);
  fuse_reply_err(req, -r);
}

void ufs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
  LOCK(&g_ufs);
  int r = remove_name(&g_ufs, node_of(parent), name, true);
  UNLOCK(&g_ufs);
  fuse_reply_err(req, -r);
}

/* The node for (dir, name), made if the kernel has none yet (kept alive by its parent link only briefly). */
static struct node *node_for(struct ufs *u, struct node *dir, const char *name, const struct found *f) {
  struct node *n = known(u, f);
  if (n) return n;
  return node_new(u, dir, name, &f->st, f->layer, f->last, ufs_make_ino(u, f->layer, f->st.st_ino));
}

static int do_rename(struct ufs *u, struct node *sdir, const char *sname, struct node *ddir, const char *dname,
                     unsigned flags) {
  if (!u->has_upper) return -EROFS;
  if (flags & ~1u) return -EINVAL; /* RENAME_EXCHANGE and RENAME_WHITEOUT are not offered */
  if (ufs_is_wh_name(dname)) return -EINVAL;
  struct found sf, df;
  int r = ufs_resolve(u, sdir, sname, &sf);
  if (r < 0) return r;
  bool sisdir = S_ISDIR(sf.st.st_mode);
  if (sisdir && (sf.layer != UPPER || sf.last != UPPER)) return -EXDEV;
  r = ufs_resolve(u, ddir, dname, &df);
  bool dexists = r == 0;
  if (r < 0 && r != -ENOENT) return r;
  if (dexists && (flags & 1u)) return -EEXIST;
  if (dexists && sf.st.st_dev == df.st.st_dev && sf.st.st_ino == df.st.st_ino) return 0; /* same object */
  if (dexists) {
    bool disdir = S_ISDIR(df.st.st_mode);
    if (sisdir && !disdir) return -ENOTDIR;
    if (!sisdir && disdir) return -EISDIR;
    if (disdir) {
      struct node tmp = {.parent = ddir, .name = (char *)dname, .layer = df.layer, .last = df.last, .type = S_IFDIR,
                         .present = df.present};
      int count = ufs_count_visible(u, &tmp, 1);
      if (count < 0) return count;
      if (count > 0) return -ENOTEMPTY;
    }
  }
  struct node *sn = node_for(u, sdir, sname, &sf);
  if (!sn) return -ENOMEM;
  sn->nchild++; /* hold it while we work: it may have no kernel reference */
  r = ufs_copy_up(u, sn, false);
  if (r == 0) r = ufs_copy_up(u, ddir, false);
  char spath[PATH_MAX], dpath[PATH_MAX], ddirpath[PATH_MAX], sdirpath[PATH_MAX];
  if (r == 0) r = node_path(sdir, sname, spath, sizeof spath);
  if (r == 0) r = node_path(ddir, dname, dpath, sizeof dpath);
  if (r == 0) r = node_path(ddir, NULL, ddirpath, sizeof ddirpath);
  if (r == 0) r = node_path(sdir, NULL, sdirpath, sizeof sdirpath);
  int up = u->layers[UPPER].fd;
  bool need_wh = sf.layer != UPPER || sf.lower_below;
  bool dlower = dexists ? (df.layer != UPPER || df.lower_below) : ufs_name_in_lower(u, ddir, dname, 1);
  struct stat ust;
  if (r == 0 && sys_fstatat(up, dpath, &ust, AT_SYMLINK_NOFOLLOW) == 0) {
    /* clear what the real rename cannot replace: a whiteout under a directory, whiteouts inside a dir */
    if (ufs_is_whiteout(&ust) && sisdir) r = sys_unlinkat(up, dpath, 0);
    else if (S_ISDIR(ust.st_mode)) r = ufs_clear_whiteouts(u, up, dpath);
  }
  if (r == 0 && sisdir && dlower) r = ufs_set_opaque(u, spath);
  struct node *dn = dexists ? known(u, &df) : NULL;
  if (r == 0 && dn && dn != sn) detach_name(u, dn, ddir, dname, &df);
  if (r == 0) {
    bool done = false;
    if (need_wh && u->privileged) { /* move and leave a whiteout behind in one step */
      int w = sys_renameat2(up, spath, up, dpath, 4 /* RENAME_WHITEOUT */);
      if (w == 0) done = true;
      else if (w != -EINVAL && w != -EPERM && w != -EOPNOTSUPP) r = w;
    }
    if (r == 0 && !done) {
      r = sys_renameat2(up, spath, up, dpath, 0);
      if (r == 0 && need_wh) r = ufs_make_whiteout(u, sdirpath, sname);
    }
  }
  if (r == 0) {
    ufs_drop_wh_file(u, ddirpath, dname);
    node_set_name(sn, ddir, dname);
  }
  node_forget(u, sn, 0);
  return r;
}

void ufs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
                   unsigned int flags) {
  LOCK(&g_ufs);
  int r = do_rename(&g_ufs, node_of(parent), name, node_of(newparent), newname, flags);
  UNLOCK(&g_ufs);
  fuse_reply_err(req, -r);
}
