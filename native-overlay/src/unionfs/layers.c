/* Opening and checking the layer roots and the work dir; inode-number mapping across layer devices. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "tree.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_dir(const char *what, const char *path, struct stat *st) {
  int fd = sys_openat(AT_FDCWD, path, O_PATH | O_DIRECTORY, 0);
  if (fd < 0) {
    fprintf(stderr, "strata-unionfs: %s %s: %s\n", what, path, strerror(-fd));
    return fd;
  }
  int r = sys_fstat(fd, st);
  if (r < 0) {
    fprintf(stderr, "strata-unionfs: %s %s: %s\n", what, path, strerror(-r));
    sys_close(fd);
    return r;
  }
  return fd;
}

/* Removes leftovers of an earlier run (temp objects are named "#strata-...") from the work dir. */
static void clean_work(struct ufs *u) {
  int fd = sys_openat(u->workfd, ".", O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return;
  char buf[8192];
  for (;;) {
    ssize_t n = sys_getdents64(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      struct dirent64 *d = (struct dirent64 *)(buf + at);
      at += d->d_reclen;
      if (strncmp(d->d_name, "#strata-", 8) == 0) ufs_remove_tree(u->workfd, d->d_name);
    }
  }
  sys_close(fd);
}

int ufs_open_layers(struct ufs *u) {
  struct ufs_options *o = &u->opt;
  u->nlayers = o->nlowers + 1;
  u->layers = calloc((size_t)u->nlayers, sizeof *u->layers);
  if (!u->layers) return -ENOMEM;
  u->workfd = -1;
  u->layers[UPPER].fd = -1;
  struct stat st;
  dev_t devs[64];
  unsigned ndevs = 0;
  for (int i = 0; i < u->nlayers; i++) {
    const char *p = i == UPPER ? o->upper : o->lowers[i - 1];
    if (!p) continue;
    int fd = open_dir(i == UPPER ? "upperdir" : "lowerdir", p, &st);
    if (fd < 0) return fd;
    u->layers[i].fd = fd;
    u->layers[i].dev = st.st_dev;
    u->layers[i].path = strdup(p);
    unsigned k = 0;
    while (k < ndevs && devs[k] != st.st_dev) k++;
    if (k == ndevs && ndevs < 64) devs[ndevs++] = st.st_dev;
    u->layers[i].devidx = k;
  }
  u->has_upper = o->upper != NULL && !o->readonly;
  if (o->upper) {
    int fd = open_dir("workdir", o->work, &st);
    if (fd < 0) return fd;
    if (st.st_dev != u->layers[UPPER].dev) {
      fprintf(stderr, "strata-unionfs: workdir %s and upperdir %s must be on one filesystem\n", o->work, o->upper);
      sys_close(fd);
      return -EXDEV;
    }
    u->workfd = fd;
    if (st.st_mode & S_ISGID) u->made_gid = st.st_gid; /* BSD group semantics inside a set-gid work dir */
    if (sys_faccessat(u->layers[UPPER].fd, ".", 2 /* W_OK */) < 0 && u->has_upper) {
      fprintf(stderr, "strata-unionfs: upperdir %s is not writable\n", o->upper);
      return -EACCES;
    }
    clean_work(u);
  }
  if (ndevs > 1) /* only then do inode numbers need the device folded in */
    for (int i = 0; i < u->nlayers; i++) u->layers[i].devidx += 1;
  else
    for (int i = 0; i < u->nlayers; i++) u->layers[i].devidx = 0;
  return 0;
}

uint64_t ufs_make_ino(const struct ufs *u, int layer, ino_t real) {
  unsigned idx = u->layers[layer].devidx;
  if (idx == 0) return real;
  /* like overlay's xino: high bits name the layer's filesystem */
  return ((uint64_t)idx << 56) | ((uint64_t)real & ((1ULL << 56) - 1));
}
