/* Path-level file syscalls the N-API binding exposes: device nodes, renameat2, reflink, ns stat/times. */
#define _GNU_SOURCE
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int sys_mknod(const char *path, mode_t mode, unsigned major, unsigned minor) {
  return mknod(path, mode, makedev(major, minor)) < 0 ? -errno : 0;
}

int sys_mknodat(int dirfd, const char *name, mode_t mode, dev_t dev) {
  return mknodat(dirfd, name, mode, dev) < 0 ? -errno : 0;
}

int sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags) {
  return syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags) < 0 ? -errno : 0;
}

static int is_unsupported(int e) {
  return e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS || e == EPERM;
}

int sys_clone_file(const char *src, const char *dst) {
  int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return -errno;
  struct stat st;
  if (fstat(in, &st) < 0) { int e = errno; close(in); return -e; }
  if (!S_ISREG(st.st_mode)) { close(in); return -EINVAL; }
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) { int e = errno; close(in); return -e; }
  int r = 1;
  if (ioctl(out, FICLONE, in) < 0) r = is_unsupported(errno) ? 0 : -errno;
  if (r == 1 && fchmod(out, st.st_mode & 07777) < 0) r = -errno;
  close(in);
  close(out);
  if (r != 1) unlink(dst); /* nothing half-made is left for the caller to trip over */
  return r;
}

int sys_lstat(const char *path, struct stat *st) {
  return lstat(path, st) < 0 ? -errno : 0;
}

int sys_lchown(const char *path, uid_t uid, gid_t gid) {
  return lchown(path, uid, gid) < 0 ? -errno : 0;
}

int sys_lutimens(const char *path, int64_t atime_ns, int64_t mtime_ns) {
  struct timespec ts[2] = {
    {.tv_sec = (time_t)(atime_ns / 1000000000), .tv_nsec = (long)(atime_ns % 1000000000)},
    {.tv_sec = (time_t)(mtime_ns / 1000000000), .tv_nsec = (long)(mtime_ns % 1000000000)},
  };
  for (int i = 0; i < 2; i++) /* negative (pre-1970) times: keep tv_nsec in [0, 1e9) */
    if (ts[i].tv_nsec < 0) { ts[i].tv_nsec += 1000000000; ts[i].tv_sec -= 1; }
  return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int sys_syncfs_path(const char *path) {
  /* syncfs refuses O_PATH descriptors; O_NONBLOCK keeps a fifo from blocking the open */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -errno;
  int r = syncfs(fd) < 0 ? -errno : 0;
  close(fd);
  return r;
}
