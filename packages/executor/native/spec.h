/* The launch spec: what the TypeScript executor asks for, parsed from NUL-terminated `key=value` records. */
#ifndef STRATA_SPEC_H
#define STRATA_SPEC_H

#include <stddef.h>
#include <sys/types.h>

enum mount_kind { MOUNT_BIND, MOUNT_TMPFS, MOUNT_OVERLAY };

struct mount_spec {
  enum mount_kind kind;
  const char *src;  /* bind: host path */
  const char *dst;  /* path inside the rootfs */
  int readonly;
  const char *data; /* tmpfs: "size=...,mode=..."; overlay: "lowerdir=...,upperdir=...,workdir=..." */
};

struct spec {
  const char *rootfs;
  char **argv; /* NULL-terminated */
  size_t argc;
  char **env; /* NULL-terminated */
  size_t envc;
  const char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t ngroups;
  const char *hostname;
  int net_host;
  struct mount_spec *mounts;
  size_t nmounts;
  const char *cgroup; /* leaf name for the step's cgroup; NULL: none */
  long long mem_bytes;  /* 0: no limit */
  long long pids_max;   /* 0: no limit */
  long long cpu_milli;  /* 0: no limit; 1000 = one CPU */
};

/* Parses `len` bytes of records into `out`, which keeps pointers into `buf` (owned by the caller).
 * On error returns -1 and writes one line to `err`. */
int spec_parse(char *buf, size_t len, struct spec *out, char *err, size_t errlen);
void spec_free(struct spec *s);

#endif
