/* Command line: the fuse-overlayfs shape, `[-f] [-d] -o lowerdir=A:B,upperdir=U,workdir=W MOUNTPOINT`.
 * Hand-parsed rather than with fuse_opt because our options must not reach libfuse's mount code. */
#define _GNU_SOURCE
#include "unionfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ufs_usage(const char *prog) {
  fprintf(stderr,
          "usage: %s [-f] [-d] -o lowerdir=LOWER1:LOWER2[,upperdir=UPPER,workdir=WORK][,opt...] MOUNTPOINT\n"
          "  leftmost lower is the top; without upperdir the mount is read-only\n",
          prog);
}

/* Options fuse-overlayfs or mount(8) pass that change nothing here. */
static const char *const harmless[] = {
  "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "atime", "noatime", "relatime", "strictatime",
  "nodiratime", "diratime", "sync", "async", "dirsync", "auto", "noauto", "user", "nouser", "defaults",
  "allow_other", "allow_root", "default_permissions", "fast_ino", "writeback", "noacl", "acl",
  "xattr_permissions", "fsync", "nofsync", "volatile", "static_nlink", "noxattrs", "redirect_dir",
  "index", "metacopy", "userxattr", "xino", "debug", "max_idle_threads", "clone_fd", "fsname", "subtype",
  "context", "fscontext", "defcontext", "rootcontext", "nfs_export", "uuid", "lazytime",
  "nolazytime", "kernel_cache", "auto_cache", "passthrough", "plugins", NULL,
};

static bool is_harmless(const char *key) {
  for (int i = 0; harmless[i]; i++)
    if (strcmp(harmless[i], key) == 0) return true;
  return false;
}

static int split_lowers(struct ufs_options *o, const char *value) {
  char *copy = strdup(value);
  if (!copy) return -ENOMEM;
  int n = 1;
  for (const char *p = value; *p; p++) n += *p == ':';
  o->lowers = calloc((size_t)n, sizeof *o->lowers);
  if (!o->lowers) { free(copy); return -ENOMEM; }
  char *save = NULL;
  for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
    if (*tok) o->lowers[o->nlowers++] = strdup(tok);
  free(copy);
  return o->nlowers > 0 ? 0 : -EINVAL;
}

static int parse_one(struct ufs_options *o, char *opt) {
  char *eq = strchr(opt, '=');
  char *value = eq ? eq + 1 : NULL;
  if (eq) *eq = 0;
  if (strcmp(opt, "lowerdir") == 0 && value) {
    if (o->lowers) { fprintf(stderr, "strata-unionfs: lowerdir given twice\n"); return -EINVAL; }
    if (split_lowers(o, value) < 0) { fprintf(stderr, "strata-unionfs: empty lowerdir\n"); return -EINVAL; }
  } else if (strcmp(opt, "upperdir") == 0 && value) {
    free(o->upper);
    o->upper = strdup(value);
  } else if (strcmp(opt, "workdir") == 0 && value) {
    free(o->work);
    o->work = strdup(value);
  } else if (strcmp(opt, "timeout") == 0 && value) {
    char *end;
    o->timeout = strtod(value, &end);
    if (*end || o->timeout < 0) { fprintf(stderr, "strata-unionfs: bad timeout=%s\n", value); return -EINVAL; }
  } else if (strcmp(opt, "threaded") == 0) {
    o->threaded = !value || strcmp(value, "0") != 0;
  } else if (strcmp(opt, "ro") == 0) {
    o->readonly = true;
  } else if (strcmp(opt, "nopassthrough") == 0) {
    o->no_passthrough = true;
  } else if (strcmp(opt, "uidmapping") == 0 || strcmp(opt, "gidmapping") == 0 ||
             strcmp(opt, "squash_to_uid") == 0 || strcmp(opt, "squash_to_gid") == 0 || strcmp(opt, "squash_to_root") == 0) {
    fprintf(stderr, "strata-unionfs: option %s is not supported (no id mapping)\n", opt);
    return -ENOTSUP;
  } else if (!is_harmless(opt)) {
    fprintf(stderr, "strata-unionfs: unknown option %s\n", opt);
    return -EINVAL;
  }
  return 0;
}

static int parse_list(struct ufs_options *o, const char *list) {
  char *copy = strdup(list);
  if (!copy) return -ENOMEM;
  int r = 0;
  char *save = NULL;
  /* commas inside values are not supported, as in fuse-overlayfs */
  for (char *tok = strtok_r(copy, ",", &save); tok && r == 0; tok = strtok_r(NULL, ",", &save)) r = parse_one(o, tok);
  free(copy);
  return r;
}

int ufs_parse_args(int argc, char **argv, struct ufs_options *o) {
  memset(o, 0, sizeof *o);
  o->timeout = 1000000.0; /* every change goes through us and lower layers are immutable */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-f") == 0) o->foreground = true;
    else if (strcmp(a, "-d") == 0 || strcmp(a, "--debug") == 0) o->debug = o->foreground = true;
    else if (strcmp(a, "-s") == 0) o->threaded = false;
    else if (strcmp(a, "-o") == 0) {
      if (++i >= argc) { fprintf(stderr, "strata-unionfs: -o needs a value\n"); return -EINVAL; }
      if (parse_list(o, argv[i]) < 0) return -EINVAL;
    } else if (strncmp(a, "-o", 2) == 0) {
      if (parse_list(o, a + 2) < 0) return -EINVAL;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      return 1;
    } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
      return 2;
    } else if (a[0] == '-') {
      fprintf(stderr, "strata-unionfs: unknown flag %s\n", a);
      return -EINVAL;
    } else if (!o->mountpoint) {
      o->mountpoint = strdup(a);
    } else {
      fprintf(stderr, "strata-unionfs: unexpected argument %s\n", a);
      return -EINVAL;
    }
  }
  if (!o->lowers) { fprintf(stderr, "strata-unionfs: lowerdir= is required\n"); return -EINVAL; }
  if (!o->mountpoint) { fprintf(stderr, "strata-unionfs: no mount point given\n"); return -EINVAL; }
  if (!o->upper != !o->work) { fprintf(stderr, "strata-unionfs: upperdir and workdir go together\n"); return -EINVAL; }
  return 0;
}
