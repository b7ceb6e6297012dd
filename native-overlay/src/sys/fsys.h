/* Descriptor-relative file syscalls for strata-unionfs. Each returns >= 0 on success, -errno on failure. */
#ifndef STRATA_FSYS_H
#define STRATA_FSYS_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>

int sys_openat(int dirfd, const char *path, int flags, mode_t mode);
int sys_close(int fd);
int sys_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int sys_fstat(int fd, struct stat *st);
int sys_mkdirat(int dirfd, const char *path, mode_t mode);
int sys_unlinkat(int dirfd, const char *path, int flags);
int sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
int sys_symlinkat(const char *target, int dirfd, const char *path);
ssize_t sys_readlinkat(int dirfd, const char *path, char *buf, size_t size);
int sys_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags);
int sys_fchmodat(int dirfd, const char *path, mode_t mode);
int sys_fchmod(int fd, mode_t mode);
int sys_fchown(int fd, uid_t uid, gid_t gid);
int sys_utimensat(int dirfd, const char *path, const struct timespec ts[2], int flags);
int sys_futimens(int fd, const struct timespec ts[2]);
int sys_ftruncate(int fd, off_t len);
int sys_fsync(int fd, int datasync);
int sys_fallocate(int fd, int mode, off_t off, off_t len);
ssize_t sys_pread(int fd, void *buf, size_t n, off_t off);
ssize_t sys_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t sys_copy_file_range(int in, int out, size_t len);
/* FICLONE: 0 when cloned, -errno otherwise. */
int sys_ficlone(int out, int in);
ssize_t sys_getdents64(int fd, void *buf, size_t n);
off_t sys_lseek(int fd, off_t off, int whence);
int sys_fstatvfs(int fd, struct statvfs *sv);
ssize_t sys_fgetxattr(int fd, const char *name, void *buf, size_t size);
int sys_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
ssize_t sys_flistxattr(int fd, char *buf, size_t size);
int sys_fremovexattr(int fd, const char *name);
int sys_faccessat(int dirfd, const char *path, int mode);
int sys_dup(int fd);
int sys_pipe(int fds[2]);
ssize_t sys_read(int fd, void *buf, size_t n);
ssize_t sys_write(int fd, const void *buf, size_t n);
ssize_t sys_writev(int fd, const struct iovec *iov, int n);
int sys_ioctl_ptr(int fd, unsigned long req, void *arg);
int sys_mount(const char *src, const char *target, const char *type, unsigned long flags, const char *data);
int sys_fork(void);
int sys_setsid(void);
int sys_waitpid(int pid, int *status);
int sys_raise_nofile_limit(void);
/* Per-thread filesystem credentials (used nowhere else): returns previous id. */
int sys_getpid(void);
int sys_chdir(const char *path);
/* realpath(3) into a new heap string, or NULL (errno-free: the caller keeps the original on failure). */
char *sys_realpath(const char *path);

#endif
