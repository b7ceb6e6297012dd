/* Merged directory listing: built at the first READDIR from every contributing layer, top first; a name seen
 * in a higher layer (or whited out there) hides the same name below; markers never show. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "tracked.h"
#include "../sys/fsys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

struct dent {
  const char *name; /* owned by the seen set */
  uint64_t ino;     /* as reported */
  ino_t real;       /* in its layer: finds a node the kernel already knows */
  int layer;
  unsigned char type;
};

struct dirh {
  struct tracked tr; /* first: the tracked pointer is the dirh */
  struct dent *ents;
  size_t n, cap;
  const char **seen; /* open-addressing set of names already decided (pointers into the arena) */
  size_t seencap, nseen;
  struct block *arena; /* names, in blocks that never move */
  bool dedupe; /* more than one layer contributes: names must be checked against those seen above */
  bool built;  /* listed at the first READDIR: when the kernel serves a dir from its cache, never */
};

/* Names live in large blocks rather than one allocation each: a 10k-entry listing costs a handful of mallocs. */
struct block {
  struct block *next;
  size_t used, cap;
  char data[];
};

static const char *arena_copy(struct dirh *d, const char *name, size_t len) {
  struct block *b = d->arena;
  if (!b || b->cap - b->used < len + 1) {
    size_t cap = len + 1 > 65536 ? len + 1 : 65536;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = d->arena;
    b->used = 0;
    b->cap = cap;
    d->arena = b;
  }
  char *p = b->data + b->used;
  memcpy(p, name, len + 1);
  b->used += len + 1;
  return p;
}

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Adds name to the seen set: its stored copy when it was new, NULL when seen before (or *err on failure). */
static const char *seen_add(struct dirh *d, const char *name, int *err) {
  if (!d->dedupe) { /* one layer: its names are unique already */
    const char *kept = arena_copy(d, name, strlen(name));
    if (!kept) *err = -ENOMEM;
    return kept;
  }
  if ((d->nseen + 1) * 2 > d->seencap) {
    size_t ncap = d->seencap ? d->seencap * 2 : 256;
    const char **ns = calloc(ncap, sizeof *ns);
    if (!ns) { *err = -ENOMEM; return NULL; }
    for (size_t i = 0; i < d->seencap; i++) {
      if (!d->seen[i]) continue;
      size_t k = hash_name(d->seen[i]) & (ncap - 1);
      while (ns[k]) k = (k + 1) & (ncap - 1);
      ns[k] = d->seen[i];
    }
    free(d->seen);
    d->seen = ns;
    d->seencap = ncap;
  }
  size_t k = hash_name(name) & (d->seencap - 1);
  while (d->seen[k]) {
    if (strcmp(d->seen[k], name) == 0) return NULL;
    k = (k + 1) & (d->seencap - 1);
  }
  if (!(d->seen[k] = arena_copy(d, name, strlen(name)))) { *err = -ENOMEM; return NULL; }
  d->nseen++;
  return d->seen[k];
}

static int add(struct dirh *d, const char *name, uint64_t ino, unsigned char type, int layer, ino_t real) {
  if (d->n == d->cap) {
    size_t ncap = d->cap ? d->cap * 2 : 64;
    struct dent *ne = realloc(d->ents, ncap * sizeof *ne);
    if (!ne) return -ENOMEM;
    d->ents = ne;
    d->cap = ncap;
  }
  d->ents[d->n].name = name;
  d->ents[d->n].ino = ino;
  d->ents[d->n].type = type;
  d->ents[d->n].layer = layer;
  d->ents[d->n].real = real;
  d->n++;
  return 0;
}

static void dirh_free(struct dirh *d) {
  if (!d) return;
  while (d->arena) {
    struct block *b = d->arena;
    d->arena = b->next;
    free(b);
  }
  free(d->ents);
  free(d->seen);
  free(d);
}

static int scan_layer(struct ufs *u, struct dirh *d, int layer, const char *path) {
  int fd = sys_openat(u->layers[layer].fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
  if (fd == -ENOENT || fd == -ENOTDIR) return 0;
  if (fd < 0) return layer == UPPER ? fd : 0; /* an unreadable lower contributes nothing */
  char buf[32768];
  int err = 0;
  for (;;) {
    ssize_t n = sys_getdents64(fd, buf, sizeof buf);
    if (n <= 0) { if (n < 0 && layer == UPPER) err = (int)n; break; }
    for (ssize_t at = 0; at < n && err == 0;) {
      struct dirent64 *e = (struct dirent64 *)(buf + at);
      at += e->d_reclen;
      const char *name = e->d_name;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
      if (ufs_is_wh_name(name)) { /* ".wh.X" hides X; ".wh..wh..opq" was handled at lookup */
        if (d->dedupe && strncmp(name, ".wh..wh.", 8) != 0) seen_add(d, name + 4, &err);
        continue;
      }
      if (e->d_type == DT_CHR || e->d_type == DT_UNKNOWN) {
        struct stat st;
        if (sys_fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && ufs_is_whiteout(&st)) {
          if (d->dedupe) seen_add(d, name, &err);
          continue;
        }
      }
      const char *kept = seen_add(d, name, &err);
      if (!kept) continue;
      /* only a copied-up object reports another inode number than its real one (its origin's); a node
       * found by a lower object's identity reports exactly ufs_make_ino of it */
      struct node *known = layer == UPPER ? node_find(u, u->layers[layer].dev, e->d_ino) : NULL;
      uint64_t ino = known ? known->ino : ufs_make_ino(u, layer, e->d_ino);
      err = add(d, kept, ino, e->d_type, layer, e->d_ino);
    }
    if (err) break;
  }
  sys_close(fd);
  return err;
}

static void release_tracked(struct tracked *t) {
  dirh_free((struct dirh *)t);
}

static int fill(struct ufs *u, struct node *dir, struct dirh *d) {
  char path[PATH_MAX];
  int r = node_path(dir, NULL, path, sizeof path);
  int layers = 0;
  for (int i = dir->layer; i <= dir->last; i++) layers += u->layers[i].fd >= 0 && ufs_layer_in(dir, i);
  d->dedupe = layers > 1;
  const char *dot = r == 0 ? seen_add(d, ".", &r) : NULL, *dotdot = r == 0 ? seen_add(d, "..", &r) : NULL;
  if (r == 0 && (!dot || !dotdot)) r = -ENOMEM;
  if (r == 0) r = add(d, dot, dir->ino, DT_DIR, -1, 0);
  if (r == 0) r = add(d, dotdot, dir->parent ? dir->parent->ino : dir->ino, DT_DIR, -1, 0);
  for (int i = dir->layer; r == 0 && i <= dir->last; i++)
    if (u->layers[i].fd >= 0 && ufs_layer_in(dir, i)) r = scan_layer(u, d, i, path);
  d->built = r == 0;
  return r;
}

int ufs_count_visible(struct ufs *u, struct node *dir, int limit) {
  struct dirh *d = calloc(1, sizeof *d);
  if (!d) return -ENOMEM;
  int r = fill(u, dir, d);
  size_t n = r == 0 ? d->n - 2 : 0;
  dirh_free(d);
  if (r < 0) return r;
  return n > (size_t)limit ? limit : (int)n;
}

void ufs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  struct dirh *d = calloc(1, sizeof *d);
  if (!d) { fuse_reply_err(req, ENOMEM); return; }
  tracked_add(&d->tr, release_tracked);
  fi->fh = (uint64_t)(uintptr_t)d;
  fi->cache_readdir = 1; /* the kernel drops it whenever it changes this dir through us */
  fi->keep_cache = 1;
  if (fuse_reply_open(req, fi) == -ENOENT) { tracked_remove(&d->tr); dirh_free(d); }
}

static void reply_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, bool plus) {
  struct ufs *u = &g_ufs;
  struct dirh *d = (struct dirh *)(uintptr_t)fi->fh;
  char *buf = malloc(size);
  if (!buf) { fuse_reply_err(req, ENOMEM); return; }
  size_t used = 0;
  LOCK(u);
  if (!d->built) {
    int r = fill(u, node_of(ino), d);
    if (r < 0) {
      UNLOCK(u);
      free(buf);
      fuse_reply_err(req, -r);
      return;
    }
  }
  if (!plus) UNLOCK(u);
  for (size_t i = (size_t)off; i < d->n; i++) {
    struct dent *e = &d->ents[i];
    struct stat st = {.st_ino = e->ino, .st_mode = (mode_t)e->type << 12};
    size_t need;
    if (!plus) {
      need = fuse_add_direntry(req, buf + used, size - used, e->name, &st, (off_t)i + 1);
      if (need > size - used) break;
      used += need;
      continue;
    }
    struct fuse_entry_param ep = {.attr = st};
    need = fuse_add_direntry_plus(req, NULL, 0, e->name, NULL, 0);
    if (need > size - used) break;
    struct node *held = i >= 2 && e->layer >= 0 ? node_find(u, u->layers[e->layer].dev, e->real) : NULL;
    if (held && held->nlookup > 0 && held->parent == node_of(ino) && strcmp(held->name, e->name) == 0) {
      /* the kernel has this one already: a bare entry (nodeid 0) spares a lookup per name */
    } else if (i >= 2 && ufs_lookup(u, node_of(ino), e->name, &ep) < 0) { /* vanished: list it bare */
      memset(&ep, 0, sizeof ep);
      ep.attr = st;
    }
    fuse_add_direntry_plus(req, buf + used, size - used, e->name, &ep, (off_t)i + 1);
    used += need;
  }
  if (plus) UNLOCK(u);
  fuse_reply_buf(req, buf, used);
  free(buf);
}

void ufs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  reply_dir(req, ino, size, off, fi, false);
}

void ufs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
  reply_dir(req, ino, size, off, fi, true);
}

void ufs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  struct dirh *d = (struct dirh *)(uintptr_t)fi->fh;
  tracked_remove(&d->tr);
  dirh_free(d);
  fuse_reply_err(req, 0);
}
