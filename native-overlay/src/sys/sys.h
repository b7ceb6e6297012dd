/* The only place strata's native code touches the kernel: thin wrappers over syscalls.
 * Every function returns 0 (or a non-negative count) on success and -errno on failure, so callers
 * never read the thread-global errno and the binding/FUSE layers stay free of raw syscalls. */
#ifndef STRATA_SYS_H
#define STRATA_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

/* Mount an overlay at target: lower dirs top-first, upper/work may be NULL (read-only mount),
 * extra options are "key=value" or "flag" strings. msg receives the kernel's reason when it gives one. */
int sys_mount_overlay(const char *target, const char *const *lowers, size_t nlowers, const char *upper,
                      const char *work, const char *const *extra, size_t nextra, char *msg, size_t msglen);
int sys_umount(const char *target, int flags);

int sys_mknod(const char *path, mode_t mode, unsigned major, unsigned minor);
int sys_mknodat(int dirfd, const char *name, mode_t mode, dev_t dev);

ssize_t sys_lgetxattr(const char *path, const char *name, void *buf, size_t size);
int sys_lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags);
ssize_t sys_llistxattr(const char *path, char *buf, size_t size);
int sys_lremovexattr(const char *path, const char *name);

int sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
/* FICLONE src onto dst (dst created 0600 then given src's mode); 1 = cloned, 0 = unsupported, <0 = error. */
int sys_clone_file(const char *src, const char *dst);
int sys_lstat(const char *path, struct stat *st);
int sys_lchown(const char *path, uid_t uid, gid_t gid);
int sys_lutimens(const char *path, int64_t atime_ns, int64_t mtime_ns);
int sys_syncfs_path(const char *path);

#endif
