/* cgroup v2 (unified) and v1 (per-controller hierarchies), chosen by what /sys/fs/cgroup is. */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sys/sys.h"

#define CGROUP2_MAGIC 0x63677270L

static int write_file(const char *dir, const char *file, const char *val) {
  char p[PATH_MAX + 64];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, val, strlen(val));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(val) ? 0 : -1;
}

static ssize_t read_file(const char *dir, const char *file, char *buf, size_t len) {
  char p[PATH_MAX + 64];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

static long long keyed(const char *text, const char *key) {
  size_t k = strlen(key);
  for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (!strncmp(l, key, k) && l[k] == ' ') return atoll(l + k + 1);
  return 0;
}

/* Whether the space-separated list holds `word`. */
static int has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0')) return 1;
  return 0;
}

/* The launcher's own cgroup path for a v1 controller ("" for v2's "0::" line). */
static int own_path(const char *controller, char *out, size_t len) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f) return -1;
  char line[4096];
  int found = -1;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    *c1 = '\0';
    const char *list = c1 + 1;
    int match = 0;
    if (!controller[0]) match = !strcmp(line, "0") && !*list;
    else
      for (char *tok = strtok(c1 + 1, ","); tok; tok = strtok(NULL, ","))
        if (!strcmp(tok, controller)) match = 1;
    if (match) {
      snprintf(out, len, "%s", c2 + 1);
      found = 0;
      break;
    }
  }
  fclose(f);
  return found;
}

static int add_dir(struct cgroup *cg, const char *root, const char *controller, const char *name) {
  char own[PATH_MAX];
  if (own_path(cg->v2 ? "" : controller, own, sizeof own) != 0) return -1;
  char *d = cg->dirs[cg->ndirs];
  if (snprintf(d, PATH_MAX, "%s%s/%s", root, strcmp(own, "/") ? own : "", name) >= PATH_MAX) return -1;
  if (mkdir(d, 0755) != 0) return -1;
  snprintf(cg->ctrl[cg->ndirs], 16, "%s", controller);
  cg->ndirs++;
  return 0;
}

static const char *dir_of(const struct cgroup *cg, const char *controller) {
  for (int i = 0; i < cg->ndirs; i++)
    if (cg->v2 || !strcmp(cg->ctrl[i], controller)) return cg->dirs[i];
  return NULL;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); cg_destroy(cg); return -1; } while (0)

int cg_create(struct cgroup *cg, const struct spec *s, char *err, size_t errlen) {
  memset(cg, 0, sizeof *cg);
  char num[64];
  cg->v2 = sys_fs_type("/sys/fs/cgroup") == CGROUP2_MAGIC;
  if (cg->v2) {
    char own[PATH_MAX], parent[PATH_MAX + 32];
    if (own_path("", own, sizeof own) != 0) FAIL("cannot find the launcher's cgroup");
    snprintf(parent, sizeof parent, "/sys/fs/cgroup%s", strcmp(own, "/") ? own : "");
    const char *need[3];
    size_t nneed = 0;
    if (s->mem_bytes) need[nneed++] = "memory";
    if (s->pids_max) need[nneed++] = "pids";
    if (s->cpu_milli) need[nneed++] = "cpu";
    char avail[1024] = "", enabled[1024] = "";
    if (nneed && read_file(parent, "cgroup.controllers", avail, sizeof avail) < 0) FAIL("cannot read %s/cgroup.controllers: %s", parent, strerror(errno));
    if (nneed) read_file(parent, "cgroup.subtree_control", enabled, sizeof enabled);
    for (size_t i = 0; i < nneed; i++) {
      if (!has_word(avail, need[i])) FAIL("cgroup v2 controller %s is not available in %s", need[i], parent);
      if (has_word(enabled, need[i])) continue;
      char plus[32];
      snprintf(plus, sizeof plus, "+%s", need[i]);
      /* EBUSY: the parent holds processes itself (cgroup v2's no-internal-processes rule). */
      if (write_file(parent, "cgroup.subtree_control", plus) != 0)
        FAIL("cannot enable the %s controller in %s: %s", need[i], parent, strerror(errno));
    }
    if (add_dir(cg, "/sys/fs/cgroup", "unified", s->cgroup) != 0) FAIL("cannot create cgroup %s: %s", s->cgroup, strerror(errno));
    const char *d = cg->dirs[0];
    if (s->mem_bytes) {
      snprintf(num, sizeof num, "%lld", s->mem_bytes);
      if (write_file(d, "memory.max", num) != 0) FAIL("cannot set memory.max: %s", strerror(errno));
      write_file(d, "memory.swap.max", "0");
    }
    if (s->pids_max) {
      snprintf(num, sizeof num, "%lld", s->pids_max);
      if (write_file(d, "pids.max", num) != 0) FAIL("cannot set pids.max: %s", strerror(errno));
    }
    if (s->cpu_milli) {
      snprintf(num, sizeof num, "%lld 100000", s->cpu_milli * 100);
      if (write_file(d, "cpu.max", num) != 0) FAIL("cannot set cpu.max: %s", strerror(errno));
    }
    return 0;
  }
  /* v1: the pids hierarchy always (it is the one whose cgroup.procs proves the step is gone). */
  static const char *ctrls[] = {"pids", "memory", "cpuacct", "cpu"};
  for (size_t i = 0; i < sizeof ctrls / sizeof *ctrls; i++) {
    const char *c = ctrls[i];
    if (!strcmp(c, "cpu") && !s->cpu_milli) continue;
    char root[64];
    snprintf(root, sizeof root, "/sys/fs/cgroup/%s", c);
    if (add_dir(cg, root, c, s->cgroup) != 0) {
      int required = !strcmp(c, "pids") || (!strcmp(c, "memory") && s->mem_bytes) || !strcmp(c, "cpu");
      if (required) FAIL("cannot create the %s cgroup %s: %s", c, s->cgroup, strerror(errno));
    }
  }
  const char *d;
  if (s->mem_bytes && (d = dir_of(cg, "memory"))) {
    snprintf(num, sizeof num, "%lld", s->mem_bytes);
    if (write_file(d, "memory.limit_in_bytes", num) != 0) FAIL("cannot set memory.limit_in_bytes: %s", strerror(errno));
    write_file(d, "memory.memsw.limit_in_bytes", num);
  }
  if (s->pids_max && (d = dir_of(cg, "pids"))) {
    snprintf(num, sizeof num, "%lld", s->pids_max);
    if (write_file(d, "pids.max", num) != 0) FAIL("cannot set pids.max: %s", strerror(errno));
  }
  if (s->cpu_milli && (d = dir_of(cg, "cpu"))) {
    snprintf(num, sizeof num, "%lld", s->cpu_milli * 100);
    if (write_file(d, "cpu.cfs_period_us", "100000") != 0 || write_file(d, "cpu.cfs_quota_us", num) != 0)
      FAIL("cannot set the cpu quota: %s", strerror(errno));
  }
  return 0;
}

int cg_attach(const struct cgroup *cg, pid_t pid) {
  char num[32];
  snprintf(num, sizeof num, "%d", (int)pid);
  for (int i = 0; i < cg->ndirs; i++)
    if (write_file(cg->dirs[i], "cgroup.procs", num) != 0) return -1;
  return 0;
}

int cg_kill_all(const struct cgroup *cg) {
  if (cg->ndirs == 0) return 0;
  int killed = 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int any = 0;
    for (int i = 0; i < cg->ndirs; i++) {
      char buf[65536];
      if (read_file(cg->dirs[i], "cgroup.procs", buf, sizeof buf) < 0) continue;
      for (char *l = buf; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        int pid = atoi(l);
        if (pid <= 0) continue;
        any = 1;
        if (kill(pid, SIGKILL) == 0) killed++;
      }
    }
    if (!any) return killed;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 10) return -1;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
}

void cg_read_usage(const struct cgroup *cg, struct cg_usage *u) {
  memset(u, 0, sizeof *u);
  char buf[8192];
  const char *d;
  if (cg->v2) {
    d = cg->dirs[0];
    if (cg->ndirs == 0) return;
    if (read_file(d, "cpu.stat", buf, sizeof buf) > 0) u->cpu_ns = keyed(buf, "usage_usec") * 1000;
    if (read_file(d, "memory.peak", buf, sizeof buf) > 0) u->mem_peak = atoll(buf);
    if (read_file(d, "memory.events", buf, sizeof buf) > 0) u->oom_kills = keyed(buf, "oom_kill");
    if (read_file(d, "pids.events", buf, sizeof buf) > 0) u->pids_max_hits = keyed(buf, "max");
    return;
  }
  if ((d = dir_of(cg, "cpuacct")) && read_file(d, "cpuacct.usage", buf, sizeof buf) > 0) u->cpu_ns = atoll(buf);
  if ((d = dir_of(cg, "memory"))) {
    if (read_file(d, "memory.max_usage_in_bytes", buf, sizeof buf) > 0) u->mem_peak = atoll(buf);
    if (read_file(d, "memory.oom_control", buf, sizeof buf) > 0) u->oom_kills = keyed(buf, "oom_kill");
  }
  if ((d = dir_of(cg, "pids")) && read_file(d, "pids.events", buf, sizeof buf) > 0) u->pids_max_hits = keyed(buf, "max");
}

void cg_destroy(struct cgroup *cg) {
  for (int i = cg->ndirs - 1; i >= 0; i--) {
    /* A memory cgroup may linger for a moment after its last task exits: retry briefly. */
    for (int tries = 0; tries < 100 && rmdir(cg->dirs[i]) != 0 && errno == EBUSY; tries++) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
    }
  }
  cg->ndirs = 0;
}
