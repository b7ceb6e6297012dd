/* The container's mounts (see rootfs.h). Every path inside the rootfs is resolved with RESOLVE_IN_ROOT and
 * mounted through /proc/self/fd/N, so a symlink in the image can never redirect a mount onto the host. */
#define _GNU_SOURCE
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "sys/sys.h"

static int rootfd = -1;
static int rep = -1;

/* Opens `path` (inside the rootfs) as O_PATH, creating missing directories and, when `file`, an empty
 * final file. Created entries are reported as stubs unless `persist`. */
static int open_target(const char *path, int file, int persist) {
  int fd = sys_open_in_root(rootfd, path, O_PATH, 0);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) die_errno(rep, "cannot open %s in the rootfs", path);
    return fd;
  }
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) die_msg(rep, "mount target too long: %.200s", path);
  /* Collapse "//" and drop trailing slashes so every component below is a plain name. */
  size_t len = 0;
  for (size_t i = 0; buf[i]; i++)
    if (!(buf[i] == '/' && len > 0 && buf[len - 1] == '/')) buf[len++] = buf[i];
  buf[len] = '\0';
  while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char saved = *p;
    *p = '\0';
    int last = saved == '\0';
    int probe = sys_open_in_root(rootfd, buf, O_PATH, 0);
    if (probe >= 0) close(probe);
    else if (errno != ENOENT) die_errno(rep, "cannot open %s in the rootfs", buf);
    else {
      char *slash = strrchr(buf, '/');
      *slash = '\0';
      int parent = sys_open_in_root(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY, 0);
      *slash = '/';
      if (parent < 0) die_errno(rep, "cannot open the parent of %s in the rootfs", buf);
      int rc;
      if (last && file) {
        rc = openat(parent, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) close(rc);
      } else rc = mkdirat(parent, slash + 1, 0755);
      close(parent);
      if (rc < 0 && errno == EEXIST) die_msg(rep, "cannot create %s in the rootfs: a dangling symlink is in the way", buf);
      if (rc < 0) die_errno(rep, "cannot create %s in the rootfs", buf);
      if (!persist) report(rep, (last && file) ? "stubf" : "stubd", "%s", buf);
    }
    if (last) break;
    *p = saved;
  }
  fd = sys_open_in_root(rootfd, path, O_PATH, 0);
  if (fd < 0) die_errno(rep, "cannot open %s in the rootfs", path);
  return fd;
}

static void mount_at(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
  int fd = open_target(dst, 0, 0);
  char p[32];
  if (sys_mount(src, fd_path(fd, p), type, flags, data) != 0) die_errno(rep, "cannot mount %s on %s", type, dst);
  close(fd);
}

/* Remounts the mount at `dst` read-only, keeping the flags a user namespace would forbid dropping. */
static void remount_ro(const char *dst) {
  int fd = sys_open_in_root(rootfd, dst, O_PATH, 0);
  if (fd < 0) die_errno(rep, "cannot open %s in the rootfs", dst);
  char p[32];
  unsigned long keep = 0;
  if (sys_mount_flags(fd_path(fd, p), &keep) != 0) keep = 0;
  if (sys_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) != 0)
    die_errno(rep, "cannot make %s read-only", dst);
  close(fd);
}

static void bind(const char *src, const char *dst, int file, int readonly, int persist) {
  int fd = open_target(dst, file, persist);
  char p[32];
  if (sys_mount(src, fd_path(fd, p), NULL, MS_BIND | MS_REC, NULL) != 0) die_errno(rep, "cannot bind %s on %s", src, dst);
  close(fd);
  if (readonly) remount_ro(dst);
}

static void setup_proc(void) {
  mount_at("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  static const char *ro[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"};
  for (size_t i = 0; i < sizeof ro / sizeof *ro; i++) {
    int fd = sys_open_in_root(rootfd, ro[i], O_PATH, 0);
    if (fd < 0) continue;
    char p[32];
    if (sys_mount(fd_path(fd, p), p, NULL, MS_BIND | MS_REC, NULL) != 0) die_errno(rep, "cannot bind %s", ro[i]);
    close(fd);
    remount_ro(ro[i]);
  }
  /* Docker's masked paths: kernel memory and key material read as empty. */
  static const char *masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/latency_stats", "/proc/sched_debug"};
  for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) {
    int fd = sys_open_in_root(rootfd, masked[i], O_PATH, 0);
    if (fd < 0) continue;
    char p[32];
    if (sys_mount("/dev/null", fd_path(fd, p), NULL, MS_BIND, NULL) != 0) die_errno(rep, "cannot mask %s", masked[i]);
    close(fd);
  }
}

static void setup_sys(const struct spec *s, int userns) {
  unsigned long fl = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  int fd = open_target("/sys", 0, 0);
  char p[32];
  if (sys_mount("sysfs", fd_path(fd, p), "sysfs", fl, NULL) != 0) {
    /* A user namespace may not mount sysfs for the host's network namespace: show the host's, read-only. */
    if (!(userns && s->net_host && errno == EPERM)) die_errno(rep, "cannot mount sysfs on /sys");
    close(fd);
    bind("/sys", "/sys", 0, 1, 0);
    return;
  }
  close(fd);
}

static void setup_dev(int userns) {
  mount_at("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  int dev = sys_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
  if (dev < 0) die_errno(rep, "cannot open /dev in the rootfs");
  /* Bind the host's nodes rather than mknod: the same code then works inside a user namespace. */
  static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    char host[64], inside[64];
    snprintf(host, sizeof host, "/dev/%s", nodes[i]);
    snprintf(inside, sizeof inside, "/dev/%s", nodes[i]);
    bind(host, inside, 1, 0, 1);
  }
  if (mkdirat(dev, "pts", 0755) != 0 || mkdirat(dev, "shm", 01777) != 0 || mkdirat(dev, "mqueue", 0755) != 0)
    die_errno(rep, "cannot populate /dev");
  mount_at("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
           userns ? "newinstance,ptmxmode=0666,mode=0620" : "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mount_at("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  mount_at("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  static const char *links[][2] = {{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                   {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++)
    if (symlinkat(links[i][0], dev, links[i][1]) != 0) die_errno(rep, "cannot create /dev/%s", links[i][1]);
  close(dev);
}

static void setup_mounts(const struct spec *s) {
  for (size_t i = 0; i < s->nmounts; i++) {
    const struct mount_spec *m = &s->mounts[i];
    if (m->kind == MOUNT_TMPFS) {
      mount_at("tmpfs", m->dst, "tmpfs", MS_NOSUID | MS_NODEV | (m->readonly ? MS_RDONLY : 0), m->data ? m->data : "");
      continue;
    }
    if (m->kind == MOUNT_OVERLAY) {
      /* A writable view of a read-only source: writes land in a scratch upper dir, never in the source. */
      mount_at("overlay", m->dst, "overlay", m->readonly ? MS_RDONLY : 0, m->data);
      continue;
    }
    struct stat st;
    if (stat(m->src, &st) != 0) die_errno(rep, "mount source %s", m->src);
    bind(m->src, m->dst, !S_ISDIR(st.st_mode), m->readonly, 0);
  }
}

void rootfs_setup(const struct spec *s, int userns, int report_fd) {
  rep = report_fd;
  if (sys_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die_errno(rep, "cannot make mounts private");
  /* pivot_root needs the new root to be a mount point. */
  if (sys_mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) die_errno(rep, "cannot bind the rootfs %s", s->rootfs);
  rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die_errno(rep, "cannot open the rootfs %s", s->rootfs);
  setup_proc();
  setup_sys(s, userns);
  setup_dev(userns);
  setup_mounts(s);
  close(open_target(s->cwd, 0, 1));
  if (fchdir(rootfd) != 0) die_errno(rep, "cannot enter the rootfs");
  /* pivot_root(".", ".") stacks the old root on top of the new one; detaching "." then drops it. */
  if (sys_pivot_root(".", ".") != 0) die_errno(rep, "pivot_root into %s", s->rootfs);
  if (sys_umount2(".", MNT_DETACH) != 0) die_errno(rep, "cannot detach the old root");
  if (chdir("/") != 0) die_errno(rep, "chdir /");
  close(rootfd);
  rootfd = -1;
}
