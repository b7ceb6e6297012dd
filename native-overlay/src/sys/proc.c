#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void sys_umask0(void) { umask(0); }
uid_t sys_geteuid(void) { return geteuid(); }
gid_t sys_getegid(void) { return getegid(); }

int sys_daemonize(int *ready_fd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return -errno;
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid > 0) {
    close(p[1]);
    char c = 0;
    ssize_t n;
    do n = read(p[0], &c, 1); while (n < 0 && errno == EINTR);
    if (n == 1 && c == 'R') _exit(0);
    int status = 0;
    waitpid(pid, &status, WNOHANG);
    _exit(1);
  }
  close(p[0]);
  setsid();
  *ready_fd = p[1];
  return 0;
}

void sys_report_ready(int ready_fd) {
  if (ready_fd < 0) return;
  ssize_t n = write(ready_fd, "R", 1);
  (void)n;
  close(ready_fd);
}

void sys_detach_stdio(void) {
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return;
  dup2(fd, 0);
  dup2(fd, 1);
  dup2(fd, 2);
  if (fd > 2) close(fd);
}

static void guard(int fd, const char *mountpoint) {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  char c = 0;
  ssize_t n;
  do n = read(fd, &c, 1); while (n < 0 && errno == EINTR);
  if (n == 1 && c == 'D') _exit(0);
  struct stat st;
  /* only a dead FUSE connection answers ENOTCONN: never touch a live or different mount */
  if (stat(mountpoint, &st) < 0 && errno == ENOTCONN && umount2(mountpoint, MNT_DETACH) < 0 && errno == EPERM) {
    /* an unprivileged mount: only the setuid helper may undo it */
    execlp("fusermount3", "fusermount3", "-u", "-z", mountpoint, (char *)NULL);
  }
  _exit(0);
}

int sys_spawn_guardian(const char *mountpoint) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return -errno;
  pid_t pid = fork();
  if (pid < 0) { int e = errno; close(p[0]); close(p[1]); return -e; }
  if (pid == 0) {
    /* a grandchild, so nobody has to reap it and it is not in our caller's way */
    if (fork() != 0) _exit(0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
    /* keep only the read end (as fd 3): holding /dev/fuse or the write end would defeat the purpose */
    if (p[0] != 3 && dup2(p[0], 3) < 0) _exit(1);
    syscall(SYS_close_range, 4, ~0U, 0);
    guard(3, mountpoint);
  }
  close(p[0]);
  int status;
  waitpid(pid, &status, 0);
  return p[1];
}

void sys_guardian_goodbye(int fd) {
  if (fd < 0) return;
  ssize_t n = write(fd, "D", 1);
  (void)n;
  close(fd);
}

int sys_mount_fuse(int devfd, const char *mountpoint, const char *fsname, int readonly, unsigned rootmode) {
  char opts[256];
  snprintf(opts, sizeof opts, "fd=%d,rootmode=%o,user_id=0,group_id=0,default_permissions,allow_other", devfd,
           rootmode);
  char type[64];
  snprintf(type, sizeof type, "fuse.%s", fsname);
  return mount(fsname, mountpoint, type, readonly ? MS_RDONLY : 0, opts) < 0 ? -errno : 0;
}
