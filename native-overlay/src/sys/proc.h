/* Process plumbing for strata-unionfs: daemonizing, the unmount guardian, credentials. */
#ifndef STRATA_PROC_H
#define STRATA_PROC_H

#include <sys/types.h>

void sys_umask0(void);
uid_t sys_geteuid(void);
gid_t sys_getegid(void);
/* Forks; the parent waits for the child to report readiness and exits 0 (ready) or 1 (failed before it).
 * Returns in the child, with *ready_fd to pass to sys_report_ready. */
int sys_daemonize(int *ready_fd);
void sys_report_ready(int ready_fd);
/* Points stdin/stdout/stderr at /dev/null so callers waiting on our output are released. */
void sys_detach_stdio(void);
/* Starts a small process that outlives us: when our end of its pipe closes without a goodbye (we were killed)
 * and the mount point answers ENOTCONN (a dead FUSE mount), it detaches that mount. Returns our pipe end. */
int sys_spawn_guardian(const char *mountpoint);
void sys_guardian_goodbye(int fd);
/* Mounts a FUSE filesystem on mountpoint served through devfd (root only). */
int sys_mount_fuse(int devfd, const char *mountpoint, const char *fsname, int readonly, unsigned rootmode);

#endif
