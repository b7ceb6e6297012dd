/* The node table: nodeid <-> node, identity hash on the real (dev, ino) of each node's top object, parent
 * chains for paths, and lifetime by kernel lookup counts plus child references. Caller holds u->lock. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t bucket(const struct ufs *u, dev_t dev, ino_t ino) {
  uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ULL ^ (uint64_t)dev;
  return (size_t)(h >> 20) & (u->tablesize - 1);
}

struct node *node_of(fuse_ino_t ino) {
  return ino == FUSE_ROOT_ID ? g_ufs.root : (struct node *)(uintptr_t)ino;
}

fuse_ino_t node_id(struct node *n) {
  return n == g_ufs.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

struct node *node_find(struct ufs *u, dev_t dev, ino_t ino) {
  for (struct node *n = u->table[bucket(u, dev, ino)]; n; n = n->hnext)
    if (n->kino == ino && n->kdev == dev) return n;
  return NULL;
}

void node_unhash(struct ufs *u, struct node *n) {
  if (!n->hashed) return;
  struct node **pp = &u->table[bucket(u, n->kdev, n->kino)];
  while (*pp && *pp != n) pp = &(*pp)->hnext;
  if (*pp) *pp = n->hnext;
  n->hashed = false;
  n->hnext = NULL;
}

void node_rehash(struct ufs *u, struct node *n, dev_t dev, ino_t ino) {
  node_unhash(u, n);
  n->kdev = dev;
  n->kino = ino;
  if (node_find(u, dev, ino)) return; /* another node owns this identity; stay reachable by nodeid only */
  size_t b = bucket(u, dev, ino);
  n->hnext = u->table[b];
  u->table[b] = n;
  n->hashed = true;
}

struct node *node_new(struct ufs *u, struct node *parent, const char *name, const struct stat *st, int layer,
                      int last, uint64_t ino) {
  struct node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->name = strdup(name);
  if (!n->name) { free(n); return NULL; }
  n->parent = parent;
  if (parent) parent->nchild++;
  n->layer = layer;
  n->last = last;
  n->present = ~0ULL; /* probe every layer until a lookup says better */
  n->type = st->st_mode & S_IFMT;
  n->mode = st->st_mode;
  n->gid = st->st_gid;
  n->ino = ino;
  n->fd = -1;
  n->backing_id = 0;
  node_rehash(u, n, st->st_dev, st->st_ino);
  return n;
}

int node_set_name(struct node *n, struct node *parent, const char *name) {
  if (n->parent == parent && strcmp(n->name, name) == 0) return 0;
  char *copy = strdup(name);
  if (!copy) return -ENOMEM;
  free(n->name);
  n->name = copy;
  if (n->parent != parent) {
    parent->nchild++;
    struct node *old = n->parent;
    n->parent = parent;
    if (old) node_forget(&g_ufs, old, 0);
  }
  if (n->fd >= 0) { sys_close(n->fd); n->fd = -1; }
  return 0;
}

static void node_free(struct ufs *u, struct node *n) {
  node_unhash(u, n);
  if (n->fd >= 0) sys_close(n->fd);
  free(n->name);
  free(n);
}

/* Drops nlookup kernel references (0: a child reference went away) and frees what nothing holds. */
void node_forget(struct ufs *u, struct node *n, uint64_t nlookup) {
  if (nlookup) n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
  else if (n->nchild) n->nchild--;
  while (n && n != u->root && n->nlookup == 0 && n->nchild == 0) {
    struct node *p = n->parent;
    node_free(u, n);
    n = p;
    if (n && n->nchild) n->nchild--;
  }
}

int node_path(const struct node *n, const char *name, char *buf, size_t len) {
  /* walk up collecting components, then write them top-down */
  const struct node *chain[PATH_MAX / 2];
  size_t depth = 0;
  for (const struct node *p = n; p && p->parent; p = p->parent) {
    if (depth == sizeof chain / sizeof chain[0]) return -ENAMETOOLONG;
    chain[depth++] = p;
  }
  size_t at = 0;
  for (size_t i = depth; i-- > 0;) {
    size_t l = strlen(chain[i]->name);
    if (at + l + 2 > len) return -ENAMETOOLONG;
    if (at) buf[at++] = '/';
    memcpy(buf + at, chain[i]->name, l);
    at += l;
  }
  if (name) {
    size_t l = strlen(name);
    if (at + l + 2 > len) return -ENAMETOOLONG;
    if (at) buf[at++] = '/';
    memcpy(buf + at, name, l);
    at += l;
  }
  if (at == 0) buf[at++] = '.';
  buf[at] = 0;
  return 0;
}
