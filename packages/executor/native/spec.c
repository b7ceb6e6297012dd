/* Parser for the launch spec. The format is the simplest one that needs no escaping: records are
 * `key=value` strings each ended by a NUL byte (argv, env and paths cannot contain NUL themselves).
 * `mount=<kind>` opens a mount; the `src`, `dst`, `ro` and `data` records after it belong to it. */
#define _GNU_SOURCE
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 65536

static int parse_num(const char *v, long long max, long long *out) {
  if (*v < '0' || *v > '9') return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || *end != '\0' || n > (unsigned long long)max) return -1;
  *out = (long long)n;
  return 0;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); spec_free(out); return -1; } while (0)

int spec_parse(char *buf, size_t len, struct spec *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  out->cwd = "/";
  if (len == 0 || buf[len - 1] != '\0') {
    snprintf(err, errlen, "launch spec is empty or not NUL-terminated");
    return -1;
  }
  size_t nargs = 0, nenv = 0, ngroups = 0, nmounts = 0;
  for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
    const char *r = buf + i;
    if (!strncmp(r, "arg=", 4)) nargs++;
    else if (!strncmp(r, "env=", 4)) nenv++;
    else if (!strncmp(r, "group=", 6)) ngroups++;
    else if (!strncmp(r, "mount=", 6)) nmounts++;
  }
  if (nargs > MAX_ITEMS || nenv > MAX_ITEMS || ngroups > MAX_ITEMS || nmounts > MAX_ITEMS) {
    snprintf(err, errlen, "launch spec has too many records");
    return -1;
  }
  out->argv = calloc(nargs + 1, sizeof(char *));
  out->env = calloc(nenv + 1, sizeof(char *));
  out->groups = calloc(ngroups + 1, sizeof(gid_t));
  out->mounts = calloc(nmounts + 1, sizeof(struct mount_spec));
  if (!out->argv || !out->env || !out->groups || !out->mounts) FAIL("out of memory");
  struct mount_spec *m = NULL;
  long long n;
  for (size_t i = 0, rlen; i < len; i += rlen + 1) {
    char *r = buf + i;
    rlen = strlen(r);
    char *eq = strchr(r, '=');
    if (!eq) FAIL("launch spec record without '=': %.40s", r);
    *eq = '\0';
    const char *k = r, *v = eq + 1;
    if (!strcmp(k, "rootfs")) out->rootfs = v;
    else if (!strcmp(k, "arg")) out->argv[out->argc++] = (char *)v;
    else if (!strcmp(k, "env")) out->env[out->envc++] = (char *)v;
    else if (!strcmp(k, "cwd")) out->cwd = v;
    else if (!strcmp(k, "hostname")) out->hostname = v;
    else if (!strcmp(k, "cgroup")) out->cgroup = v;
    else if (!strcmp(k, "net")) {
      if (!strcmp(v, "host")) out->net_host = 1;
      else if (!strcmp(v, "none")) out->net_host = 0;
      else FAIL("unknown network mode \"%.40s\"", v);
    } else if (!strcmp(k, "uid") || !strcmp(k, "gid") || !strcmp(k, "group")) {
      if (parse_num(v, 0xfffffffeLL, &n)) FAIL("bad %s \"%.40s\"", k, v);
      if (k[0] == 'u') out->uid = (uid_t)n;
      else if (k[1] == 'i') out->gid = (gid_t)n;
      else out->groups[out->ngroups++] = (gid_t)n;
    } else if (!strcmp(k, "memory") || !strcmp(k, "pids") || !strcmp(k, "cpu")) {
      if (parse_num(v, 1LL << 60, &n) || n == 0) FAIL("bad limit %s \"%.40s\"", k, v);
      if (k[0] == 'm') out->mem_bytes = n;
      else if (k[0] == 'p') out->pids_max = n;
      else out->cpu_milli = n;
    } else if (!strcmp(k, "mount")) {
      m = &out->mounts[out->nmounts++];
      if (!strcmp(v, "bind")) m->kind = MOUNT_BIND;
      else if (!strcmp(v, "tmpfs")) m->kind = MOUNT_TMPFS;
      else if (!strcmp(v, "overlay")) m->kind = MOUNT_OVERLAY;
      else FAIL("unknown mount type \"%.40s\"", v);
    } else if (!strcmp(k, "src") || !strcmp(k, "dst") || !strcmp(k, "ro") || !strcmp(k, "data")) {
      if (!m) FAIL("launch spec has %s before any mount", k);
      if (k[0] == 's') m->src = v;
      else if (k[0] == 'd' && k[1] == 's') m->dst = v;
      else if (k[0] == 'r') m->readonly = !strcmp(v, "1");
      else m->data = v;
    } else FAIL("unknown launch spec key \"%.40s\"", k);
  }
  if (!out->rootfs || out->rootfs[0] != '/') FAIL("launch spec needs an absolute rootfs");
  if (out->argc == 0 || out->argv[0][0] == '\0') FAIL("no command to run");
  if (out->cgroup) {
    /* The name becomes one path component under the launcher's cgroup: nothing that could climb out. */
    size_t cl = strlen(out->cgroup);
    if (cl == 0 || cl > 128 || out->cgroup[0] == '.' || strspn(out->cgroup, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != cl)
      FAIL("bad cgroup name \"%.40s\"", out->cgroup);
  }
  if (out->hostname && strlen(out->hostname) > 64) FAIL("hostname longer than 64 bytes");
  if (out->cwd[0] != '/') FAIL("working directory \"%.200s\" is not absolute", out->cwd);
  for (size_t j = 0; j < out->nmounts; j++) {
    struct mount_spec *ms = &out->mounts[j];
    if (!ms->dst || ms->dst[0] != '/') FAIL("mount %zu has no absolute target", j + 1);
    if (ms->kind == MOUNT_OVERLAY && !ms->data) FAIL("overlay mount on %.200s has no options", ms->dst);
    if (ms->kind == MOUNT_BIND && (!ms->src || ms->src[0] != '/')) FAIL("bind mount on %.200s has no absolute source", ms->dst);
  }
  return 0;
}

void spec_free(struct spec *s) {
  free(s->argv);
  free(s->env);
  free(s->groups);
  free(s->mounts);
  s->argv = s->env = NULL;
  s->groups = NULL;
  s->mounts = NULL;
}
