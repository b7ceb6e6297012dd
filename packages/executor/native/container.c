/* The container side of the launcher (see container.h). */
#define _GNU_SOURCE
#include "container.h"

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "rootfs.h"
#include "sys/sys.h"

/* Docker's default capability set (moby oci/caps/defaults.go). */
static const int default_caps[] = {
    CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID,
    CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

static uint64_t default_cap_mask(void) {
  uint64_t m = 0;
  for (size_t i = 0; i < sizeof default_caps / sizeof *default_caps; i++) m |= 1ULL << default_caps[i];
  return m;
}

static void apply_creds(const struct spec *s, int userns, int rep) {
  uint64_t keep = default_cap_mask();
  int last = sys_cap_last();
  for (int c = 0; c <= last; c++)
    if (!(keep & (1ULL << c)) && sys_capbset_drop(c) != 0) die_errno(rep, "cannot drop capability %d", c);
  /* With setgroups denied (an unprivileged user namespace) the only group is the mapped one. */
  if (!userns || s->ngroups > 0)
    if (sys_setgroups(s->ngroups, s->groups) != 0) die_errno(rep, "cannot set supplementary groups");
  if (sys_setresgid(s->gid, s->gid, s->gid) != 0) die_errno(rep, "cannot switch to gid %u", (unsigned)s->gid);
  if (sys_setresuid(s->uid, s->uid, s->uid) != 0) die_errno(rep, "cannot switch to uid %u", (unsigned)s->uid);
  /* Leaving uid 0 already cleared the permitted set; root keeps the default set, none inheritable. */
  uint64_t caps = s->uid == 0 ? keep : 0;
  if (sys_capset(caps, caps, 0) != 0) die_errno(rep, "cannot set capabilities");
  if (sys_clear_ambient() != 0 && errno != EINVAL) die_errno(rep, "cannot clear ambient capabilities");
  if (sys_no_new_privs() != 0) die_errno(rep, "cannot set no_new_privs");
  umask(022);
}

static const char *env_get(const struct spec *s, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < s->envc; i++)
    if (!strncmp(s->env[i], name, n) && s->env[i][n] == '=') return s->env[i] + n + 1;
  return NULL;
}

/* execvp with the container's PATH (not the launcher's), reporting Docker-like messages. */
static void exec_command(const struct spec *s, int rep) {
  const char *cmd = s->argv[0];
  if (strchr(cmd, '/')) {
    execve(cmd, s->argv, s->env);
    die_errno(rep, "cannot run %s", cmd);
  }
  const char *path = env_get(s, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int saved = ENOENT;
  for (const char *p = path;;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char full[PATH_MAX];
    if (snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? p : ".", cmd) < (int)sizeof full) {
      execve(full, s->argv, s->env);
      if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    }
    if (!end) break;
    p = end + 1;
  }
  if (saved == ENOENT) die_msg(rep, "cannot run %s: executable file not found in $PATH", cmd);
  errno = saved;
  die_errno(rep, "cannot run %s", cmd);
}

static void workload(const struct spec *s, int userns, int rep) {
  apply_creds(s, userns, rep);
  if (chdir(s->cwd) != 0) die_errno(rep, "cannot enter working directory %s", s->cwd);
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* Nothing of the launcher's leaks into the workload except stdio and the report pipe (close-on-exec). */
  sys_close_range_cloexec(3);
  exec_command(s, rep);
}

void container_main(const struct spec *s, int userns, int rep) {
  if (sys_unshare(CLONE_NEWCGROUP) != 0) die_errno(rep, "cannot create a cgroup namespace");
  rootfs_setup(s, userns, rep);
  if (s->hostname && sys_sethostname(s->hostname, strlen(s->hostname)) != 0) die_errno(rep, "cannot set hostname");
  if (!s->net_host && sys_loopback_up() != 0) die_errno(rep, "cannot bring up loopback");
  sigset_t all;
  sigfillset(&all);
  int sfd = sys_signalfd(&all, 0);
  if (sfd < 0) die_errno(rep, "signalfd");
  pid_t child = fork();
  if (child < 0) die_errno(rep, "cannot fork the command");
  if (child == 0) {
    close(sfd);
    workload(s, userns, rep);
  }
  /* The init never writes to the report pipe again until the end: keep one copy for the status. */
  int status = 0;
  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n != (ssize_t)sizeof si) {
      if (n < 0 && errno == EINTR) continue;
      die_errno(rep, "reading signals");
    }
    if (si.ssi_signo != SIGCHLD) {
      kill(child, (int)si.ssi_signo);
      continue;
    }
    int done = 0;
    for (;;) {
      int st;
      pid_t p = waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      if (p == child) {
        status = st;
        done = 1;
      }
    }
    if (done) break;
  }
  report(rep, "status", "%d", status);
  /* Exiting as PID 1 makes the kernel kill whatever the command left running. */
  _exit(0);
}
