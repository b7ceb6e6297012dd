/* Name resolution across layers: the top layer holding a name wins; a whiteout hides it and everything below;
 * directories merge downwards until an opaque one or a non-directory; a lower layer missing the parent
 * directory simply does not contribute. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

int ufs_resolve(struct ufs *u, struct node *dir, const char *name, struct found *f) {
  char dirpath[PATH_MAX], path[PATH_MAX];
  int r = node_path(dir, NULL, dirpath, sizeof dirpath);
  if (r == 0) r = node_path(dir, name, path, sizeof path);
  if (r < 0) return r;
  bool have = false;
  f->upper_whiteout = f->upper_wh_file = false;
  f->present = 0;
  for (int i = dir->layer; i <= dir->last; i++) {
    if (u->layers[i].fd < 0 || !ufs_layer_in(dir, i)) continue;
    struct stat st;
    r = sys_fstatat(u->layers[i].fd, path, &st, AT_SYMLINK_NOFOLLOW);
    if (r == -ENOENT || r == -ENOTDIR) {
      if (ufs_has_wh_file(u, i, dirpath, name)) {
        f->upper_wh_file = i == UPPER;
        break;
      }
      continue;
    }
    if (r < 0) {
      if (have) break; /* an unreadable lower below what we found: it stays hidden */
      return r;
    }
    if (ufs_is_whiteout(&st)) {
      f->upper_whiteout = i == UPPER;
      break;
    }
    if (!have) {
      have = true;
      f->layer = f->last = i;
      f->st = st;
      f->lower_below = false;
      if (S_ISDIR(st.st_mode) && i < 64) f->present |= 1ULL << i;
      if (!S_ISDIR(st.st_mode) || ufs_is_opaque(u, i, path)) {
        if (i < dir->last) f->lower_below = ufs_name_in_lower(u, dir, name, i + 1);
        break;
      }
      continue;
    }
    f->lower_below = true;
    if (!S_ISDIR(st.st_mode)) break;
    f->last = i;
    if (i < 64) f->present |= 1ULL << i;
    if (ufs_is_opaque(u, i, path)) break;
  }
  return have ? 0 : -ENOENT;
}

bool ufs_name_in_lower(struct ufs *u, struct node *dir, const char *name, int from) {
  char dirpath[PATH_MAX], path[PATH_MAX];
  if (node_path(dir, NULL, dirpath, sizeof dirpath) < 0 || node_path(dir, name, path, sizeof path) < 0)
    return true; /* when unsure, leave a whiteout: it is always safe */
  for (int i = from < 1 ? 1 : from; i <= dir->last; i++) {
    if (!ufs_layer_in(dir, i)) continue;
    struct stat st;
    int r = sys_fstatat(u->layers[i].fd, path, &st, AT_SYMLINK_NOFOLLOW);
    if (r == 0) return !ufs_is_whiteout(&st);
    if (r != -ENOENT && r != -ENOTDIR) return true;
    if (ufs_has_wh_file(u, i, dirpath, name)) return false;
  }
  return false;
}

void ufs_present(const struct node *n, struct stat *st) {
  st->st_ino = n->ino;
  /* like the kernel overlay: a merged dir cannot count its subdirs, and a low count would make find(1)
   * skip the lower ones; 1 means "unknown" */
  if (n->type == S_IFDIR && n->last > n->layer) st->st_nlink = 1;
}

void ufs_fill_entry(struct ufs *u, struct node *n, const struct stat *st, struct fuse_entry_param *e) {
  memset(e, 0, sizeof *e);
  e->ino = node_id(n);
  e->generation = 1;
  e->attr = *st;
  ufs_present(n, &e->attr);
  e->attr_timeout = u->opt.timeout;
  e->entry_timeout = u->opt.timeout;
}

static int stat_fd_fallback(struct node *n, struct stat *st) {
  return sys_fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

int ufs_node_stat(struct ufs *u, struct node *n, struct stat *st) {
  int r;
  if (n->fd >= 0) {
    r = stat_fd_fallback(n, st);
  } else {
    char path[PATH_MAX];
    r = node_path(n, NULL, path, sizeof path);
    if (r == 0) r = sys_fstatat(u->layers[n->layer].fd, path, st, AT_SYMLINK_NOFOLLOW);
  }
  if (r == 0) ufs_present(n, st);
  return r;
}

int ufs_lookup(struct ufs *u, struct node *dir, const char *name, struct fuse_entry_param *e) {
  if (dir->type != S_IFDIR) return -ENOTDIR;
  if (strlen(name) > NAME_MAX) return -ENAMETOOLONG;
  if (ufs_is_wh_name(name)) return -ENOENT; /* markers are never visible */
  struct found f;
  int r = ufs_resolve(u, dir, name, &f);
  if (r < 0) return r;
  struct node *n = node_find(u, f.st.st_dev, f.st.st_ino);
  if (n && n->type == (f.st.st_mode & S_IFMT)) {
    if (n->type == S_IFDIR && (n->parent != dir || strcmp(n->name, name) != 0)) n = NULL; /* stale dir */
  } else {
    n = NULL;
  }
  if (n) {
    if (node_set_name(n, dir, name) < 0) return -ENOMEM;
    n->layer = f.layer;
    n->last = f.last;
    n->present = f.present;
    n->mode = f.st.st_mode;
    n->gid = f.st.st_gid;
  } else {
    n = node_new(u, dir, name, &f.st, f.layer, f.last, ufs_make_ino(u, f.layer, f.st.st_ino));
    if (!n) return -ENOMEM;
    n->present = f.present;
  }
  n->nlookup++;
  ufs_fill_entry(u, n, &f.st, e);
  return 0;
}
