/* strata-launch: runs one command in new namespaces for @strata/executor.
 *
 *   strata-launch --spec-fd N [--result-fd M]   spec is "<length>\n<records>" on fd N; afterwards fd N is the
 *                                               control channel: a 'k' byte or end-of-file kills the step
 *   strata-launch --spec FILE [--result-fd M]
 *
 * The result (`exit=`, `signal=`, `error=`, usage) goes to the result fd as key=value lines; the exit code
 * is the command's (128+n for a signal), 125 when the launcher itself failed. Node spawns this program
 * because a multithreaded process cannot enter new namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "pidns.h"
#include "container.h"
#include "report.h"
#include "spec.h"
#include "stubs.h"
#include "sys/sys.h"

#define MAX_SPEC (64u << 20)

static int result_fd = -1;

static void finish_error(const char *msg) {
  if (result_fd >= 0) report(result_fd, "error", "%s", msg);
  else fprintf(stderr, "strata-launch: %s\n", msg);
  exit(125);
}

static int read_full(int fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      /* The spec socket may be non-blocking (it is shared with Node): wait for the rest. */
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return -1;
      continue;
    }
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

static char *read_spec_fd(int fd, size_t *len) {
  char digits[24];
  size_t i = 0;
  for (;; i++) {
    if (i == sizeof digits - 1 || read_full(fd, digits + i, 1) != 0) finish_error("launch spec: missing length line");
    if (digits[i] == '\n') break;
    if (digits[i] < '0' || digits[i] > '9') finish_error("launch spec: bad length line");
  }
  digits[i] = '\0';
  unsigned long n = strtoul(digits, NULL, 10);
  if (i == 0 || n == 0 || n > MAX_SPEC) finish_error("launch spec: bad length");
  char *buf = malloc(n);
  if (!buf) finish_error("out of memory");
  if (read_full(fd, buf, n) != 0) finish_error("launch spec: truncated");
  *len = n;
  return buf;
}

static char *read_spec_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > MAX_SPEC) finish_error("cannot read the launch spec file");
  char *buf = malloc((size_t)st.st_size);
  if (!buf || read_full(fd, buf, (size_t)st.st_size) != 0) finish_error("cannot read the launch spec file");
  close(fd);
  *len = (size_t)st.st_size;
  return buf;
}

static void write_map(pid_t pid, const char *file, const char *text) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/%s", (int)pid, file);
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
    kill(pid, SIGKILL);
    finish_error("cannot write the user namespace maps");
  }
  close(fd);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

int main(int argc, char **argv) {
  int spec_fd = -1;
  const char *spec_file = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--spec-fd")) spec_fd = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--spec")) spec_file = argv[i + 1];
    else if (!strcmp(argv[i], "--result-fd")) result_fd = atoi(argv[i + 1]);
  }
  if (result_fd >= 0 && fcntl(result_fd, F_SETFD, FD_CLOEXEC) != 0) result_fd = -1;
  if ((spec_fd < 0) == (spec_file == NULL)) finish_error("usage: strata-launch --spec-fd N | --spec FILE [--result-fd M]");
  if (spec_fd >= 0) fcntl(spec_fd, F_SETFD, FD_CLOEXEC);
  size_t len = 0;
  char *buf = spec_fd >= 0 ? read_spec_fd(spec_fd, &len) : read_spec_file(spec_file, &len);
  struct spec s;
  char err[512];
  if (spec_parse(buf, len, &s, err, sizeof err) != 0) finish_error(err);

  struct stat st;
  if (stat(s.rootfs, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, sizeof err, "rootfs %s is not a directory", s.rootfs);
    finish_error(err);
  }
  for (size_t i = 0; i < s.nmounts; i++)
    if (s.mounts[i].kind == MOUNT_BIND && stat(s.mounts[i].src, &st) != 0) {
      snprintf(err, sizeof err, "mount source %s: %s", s.mounts[i].src, strerror(errno));
      finish_error(err);
    }
  int userns = geteuid() != 0;
  struct cgroup cg;
  memset(&cg, 0, sizeof cg);
  if ((s.mem_bytes || s.pids_max || s.cpu_milli) && (userns || !s.cgroup)) finish_error("resource limits need root and a cgroup name");
  if (s.cgroup && !userns && cg_create(&cg, &s, err, sizeof err) != 0) finish_error(err);

  int sync_pipe[2], rep[2];
  if (pipe2(sync_pipe, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) finish_error("pipe failed");
  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGPIPE);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaddset(&mask, forwarded[i]);
  sigprocmask(SIG_BLOCK, &mask, &old);
  int sfd = sys_signalfd(&mask, 1);
  if (sfd < 0) finish_error("signalfd failed");

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (!s.net_host) flags |= CLONE_NEWNET;
  if (userns) flags |= CLONE_NEWUSER;
  pid_t pid = sys_clone_ns(flags);
  if (pid < 0) {
    cg_destroy(&cg);
    snprintf(err, sizeof err, "cannot create namespaces: %s", strerror(errno));
    finish_error(err);
  }
  if (pid == 0) {
    /* The step dies with the launcher, whatever kills it. */
    sys_set_pdeathsig(SIGKILL);
    close(sync_pipe[1]);
    close(rep[0]);
    close(sfd);
    char go;
    if (read_full(sync_pipe[0], &go, 1) != 0) _exit(125);
    close(sync_pipe[0]);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    container_main(&s, userns, rep[1]);
  }
  close(sync_pipe[0]);
  close(rep[1]);
  if (userns) {
    char map[64];
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)geteuid());
    write_map(pid, "uid_map", map);
    write_map(pid, "setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getegid());
    write_map(pid, "gid_map", map);
  }
  if (cg.ndirs && cg_attach(&cg, pid) != 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    cg_destroy(&cg);
    finish_error("cannot move the step into its cgroup");
  }
  unsigned long long ns = cg.ndirs ? 0 : pidns_of(pid);
  if (ns == pidns_of(getpid())) ns = 0; /* never scan (and kill in) the launcher's own namespace */
  if (write(sync_pipe[1], "g", 1) != 1) finish_error("cannot start the step");
  close(sync_pipe[1]);

  char reports[65536];
  size_t rlen = 0;
  int status = 0, reaped = 0, killed = 0, rep_open = 1;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (!reaped || rep_open) {
    struct pollfd p[3] = {{sfd, POLLIN, 0}, {rep_open ? rep[0] : -1, POLLIN, 0}, {spec_fd, POLLIN, 0}};
    if (killed || reaped) p[2].fd = -1;
    if (poll(p, 3, -1) < 0 && errno != EINTR) break;
    if (p[1].revents) {
      ssize_t n = read(rep[0], reports + rlen, sizeof reports - 1 - rlen);
      if (n > 0) rlen += (size_t)n;
      else if (n == 0 || errno != EINTR) rep_open = 0;
      if (rlen == sizeof reports - 1) rep_open = 0;
    }
    if (p[2].revents) {
      char c = 0;
      ssize_t n = read(spec_fd, &c, 1);
      if (n <= 0 || c == 'k') {
        killed = 1;
        kill(pid, SIGKILL);
      }
    }
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD || si.ssi_signo == SIGPIPE) continue;
        kill(pid, (int)si.ssi_signo);
      }
      if (!reaped && wait4(pid, &status, WNOHANG, &ru) == pid) reaped = 1;
    }
  }
  if (!reaped && wait4(pid, &status, 0, &ru) == pid) reaped = 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  reports[rlen] = '\0';

  /* The init is gone, so the kernel has killed the pid namespace; the cgroup proves it. */
  int leftover = cg.ndirs ? cg_kill_all(&cg) : pidns_kill_all(ns);
  struct cg_usage u;
  cg_read_usage(&cg, &u);
  cg_destroy(&cg);
  stubs_remove(s.rootfs, reports);

  int out = result_fd >= 0 ? result_fd : -1;
  const char *error = NULL;
  int inner = -1;
  for (char *l = reports; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
    if (!strncmp(l, "error=", 6) && !error) {
      error = l + 6;
      *strchrnul(l, '\n') = '\0';
    } else if (!strncmp(l, "status=", 7)) inner = atoi(l + 7);
  }
  int code;
  if (error && !killed) {
    if (out >= 0) report(out, "error", "%s", error);
    else fprintf(stderr, "strata-launch: %s\n", error);
    code = 125;
  } else if (inner < 0) {
    /* The init died before reporting: killed from outside (abort) or by the kernel. */
    code = 128 + SIGKILL;
    if (out >= 0) report(out, "signal", "%d", SIGKILL);
  } else if (WIFSIGNALED(inner)) {
    code = 128 + WTERMSIG(inner);
    if (out >= 0) report(out, "signal", "%d", WTERMSIG(inner));
  } else {
    code = WEXITSTATUS(inner);
    if (out >= 0) report(out, "exit", "%d", code);
  }
  if (out >= 0) {
    long long cpu = u.cpu_ns ? u.cpu_ns
                             : (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                                   (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    report(out, "cpu_ns", "%lld", cpu);
    report(out, "mem_peak", "%lld", u.mem_peak ? u.mem_peak : (long long)ru.ru_maxrss * 1024);
    report(out, "wall_ns", "%lld", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
    report(out, "oom_kills", "%lld", u.oom_kills);
    report(out, "pids_limited", "%lld", u.pids_max_hits);
    report(out, "killed", "%d", killed);
    report(out, "leftover", "%d", leftover);
  }
  spec_free(&s);
  free(buf);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return code;
}
