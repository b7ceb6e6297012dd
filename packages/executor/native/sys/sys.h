/* The raw-syscall layer: every namespace, mount, credential and capability call the launcher makes goes
 * through here, so the rest of the launcher reads as policy and this file is the only place that knows
 * syscall numbers and argument layouts. Each returns -1 with errno set on failure, like libc. */
#ifndef STRATA_SYS_H
#define STRATA_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* clone() without a new stack: returns twice like fork(), the child in the new namespaces. */
pid_t sys_clone_ns(unsigned long flags);
int sys_unshare(int flags);
int sys_pivot_root(const char *new_root, const char *put_old);
int sys_mount(const char *src, const char *dst, const char *fstype, unsigned long flags, const void *data);
int sys_umount2(const char *target, int flags);
int sys_sethostname(const char *name, size_t len);
/* openat2(RESOLVE_IN_ROOT): resolves `path` as if dirfd were "/" so symlinks cannot leave the rootfs. */
int sys_open_in_root(int rootfd, const char *path, int flags, int mode);
int sys_close_range_cloexec(unsigned int first);
int sys_setgroups(size_t n, const gid_t *groups);
int sys_setresuid(uid_t r, uid_t e, uid_t s);
int sys_setresgid(gid_t r, gid_t e, gid_t s);
/* Sets effective, permitted and inheritable capability sets (bit i = capability i) for this thread. */
int sys_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int sys_capbset_drop(int cap);
int sys_cap_last(void);
int sys_clear_ambient(void);
int sys_no_new_privs(void);
int sys_set_pdeathsig(int sig);
int sys_set_child_subreaper(void);
/* A close-on-exec signalfd for `mask` (already blocked by the caller). */
int sys_signalfd(const void *mask, int nonblock);
/* Brings the loopback interface up in the current network namespace. */
int sys_loopback_up(void);
/* statfs f_type of a path (e.g. CGROUP2_SUPER_MAGIC). */
long sys_fs_type(const char *path);
/* Mount flags (MS_RDONLY, MS_NOSUID, ...) of the mount holding `path`, for a remount that must keep them. */
int sys_mount_flags(const char *path, unsigned long *flags);

#endif
