#define _GNU_SOURCE
#include "fsys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <stdlib.h>
#include <unistd.h>

#define RET(x) return (x) < 0 ? -errno : 0
#define RETN(x)            \
  do {                     \
    ssize_t r_ = (x);      \
    return r_ < 0 ? -errno : r_; \
  } while (0)

int sys_openat(int dirfd, const char *path, int flags, mode_t mode) { RETN(openat(dirfd, path, flags | O_CLOEXEC, mode)); }
int sys_close(int fd) { RET(close(fd)); }
int sys_fstatat(int dirfd, const char *path, struct stat *st, int flags) { RET(fstatat(dirfd, path, st, flags)); }
int sys_fstat(int fd, struct stat *st) { RET(fstat(fd, st)); }
int sys_mkdirat(int dirfd, const char *path, mode_t mode) { RET(mkdirat(dirfd, path, mode)); }
int sys_unlinkat(int dirfd, const char *path, int flags) { RET(unlinkat(dirfd, path, flags)); }
int sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags) {
  RET(linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}
int sys_symlinkat(const char *target, int dirfd, const char *path) { RET(symlinkat(target, dirfd, path)); }
ssize_t sys_readlinkat(int dirfd, const char *path, char *buf, size_t size) { RETN(readlinkat(dirfd, path, buf, size)); }
int sys_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags) {
  RET(fchownat(dirfd, path, uid, gid, flags));
}
int sys_fchmodat(int dirfd, const char *path, mode_t mode) { RET(fchmodat(dirfd, path, mode, 0)); }
int sys_fchmod(int fd, mode_t mode) { RET(fchmod(fd, mode)); }
int sys_fchown(int fd, uid_t uid, gid_t gid) { RET(fchown(fd, uid, gid)); }
int sys_utimensat(int dirfd, const char *path, const struct timespec ts[2], int flags) {
  RET(utimensat(dirfd, path, ts, flags));
}
int sys_futimens(int fd, const struct timespec ts[2]) { RET(futimens(fd, ts)); }
int sys_ftruncate(int fd, off_t len) { RET(ftruncate(fd, len)); }
int sys_fsync(int fd, int datasync) { RET(datasync ? fdatasync(fd) : fsync(fd)); }
int sys_fallocate(int fd, int mode, off_t off, off_t len) { RET(fallocate(fd, mode, off, len)); }
ssize_t sys_pread(int fd, void *buf, size_t n, off_t off) { RETN(pread(fd, buf, n, off)); }
ssize_t sys_pwrite(int fd, const void *buf, size_t n, off_t off) { RETN(pwrite(fd, buf, n, off)); }
ssize_t sys_copy_file_range(int in, int out, size_t len) { RETN(copy_file_range(in, NULL, out, NULL, len, 0)); }
int sys_ficlone(int out, int in) { RET(ioctl(out, FICLONE, in)); }
ssize_t sys_getdents64(int fd, void *buf, size_t n) { RETN(getdents64(fd, buf, n)); }
off_t sys_lseek(int fd, off_t off, int whence) { RETN(lseek(fd, off, whence)); }
int sys_fstatvfs(int fd, struct statvfs *sv) { RET(fstatvfs(fd, sv)); }
ssize_t sys_fgetxattr(int fd, const char *name, void *buf, size_t size) { RETN(fgetxattr(fd, name, buf, size)); }
int sys_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags) {
  RET(fsetxattr(fd, name, value, size, flags));
}
ssize_t sys_flistxattr(int fd, char *buf, size_t size) { RETN(flistxattr(fd, buf, size)); }
int sys_fremovexattr(int fd, const char *name) { RET(fremovexattr(fd, name)); }
int sys_faccessat(int dirfd, const char *path, int mode) { RET(faccessat(dirfd, path, mode, AT_EACCESS)); }
int sys_dup(int fd) { RETN(fcntl(fd, F_DUPFD_CLOEXEC, 3)); }
int sys_pipe(int fds[2]) { RET(pipe2(fds, O_CLOEXEC)); }
ssize_t sys_read(int fd, void *buf, size_t n) { RETN(read(fd, buf, n)); }
ssize_t sys_write(int fd, const void *buf, size_t n) { RETN(write(fd, buf, n)); }
ssize_t sys_writev(int fd, const struct iovec *iov, int n) { RETN(writev(fd, iov, n)); }
int sys_ioctl_ptr(int fd, unsigned long req, void *arg) { RETN(ioctl(fd, req, arg)); }
int sys_mount(const char *src, const char *target, const char *type, unsigned long flags, const char *data) {
  RET(mount(src, target, type, flags, data));
}
int sys_fork(void) { RETN(fork()); }
int sys_setsid(void) { RETN(setsid()); }
int sys_waitpid(int pid, int *status) { RETN(waitpid(pid, status, 0)); }
int sys_raise_nofile_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -errno;
  rl.rlim_cur = rl.rlim_max;
  RET(setrlimit(RLIMIT_NOFILE, &rl));
}
int sys_getpid(void) { return getpid(); }
int sys_chdir(const char *path) { RET(chdir(path)); }
char *sys_realpath(const char *path) { return realpath(path, NULL); }
