/* Raw syscalls for the launcher (see sys.h). */
#define _GNU_SOURCE
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

pid_t sys_clone_ns(unsigned long flags) {
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

int sys_unshare(int flags) { return (int)syscall(SYS_unshare, flags); }

int sys_pivot_root(const char *new_root, const char *put_old) {
  return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int sys_mount(const char *src, const char *dst, const char *fstype, unsigned long flags, const void *data) {
  return (int)syscall(SYS_mount, src, dst, fstype, flags, data);
}

int sys_umount2(const char *target, int flags) { return (int)syscall(SYS_umount2, target, flags); }

int sys_sethostname(const char *name, size_t len) { return (int)syscall(SYS_sethostname, name, len); }

int sys_open_in_root(int rootfd, const char *path, int flags, int mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? (uint64_t)mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

int sys_close_range_cloexec(unsigned int first) {
  return (int)syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
}

int sys_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }
int sys_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
int sys_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }

int sys_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = (uint32_t)effective;
  data[1].effective = (uint32_t)(effective >> 32);
  data[0].permitted = (uint32_t)permitted;
  data[1].permitted = (uint32_t)(permitted >> 32);
  data[0].inheritable = (uint32_t)inheritable;
  data[1].inheritable = (uint32_t)(inheritable >> 32);
  return (int)syscall(SYS_capset, &hdr, data);
}

int sys_capbset_drop(int cap) { return (int)syscall(SYS_prctl, PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0); }

int sys_cap_last(void) {
  /* The kernel rejects PR_CAPBSET_READ of an unknown capability with EINVAL: probe upwards. */
  int cap = 0;
  while (cap < 64 && syscall(SYS_prctl, PR_CAPBSET_READ, (unsigned long)(cap + 1), 0, 0, 0) >= 0) cap++;
  return cap;
}

int sys_clear_ambient(void) {
  return (int)syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

int sys_no_new_privs(void) { return (int)syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
int sys_set_pdeathsig(int sig) { return (int)syscall(SYS_prctl, PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }
int sys_set_child_subreaper(void) { return (int)syscall(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int sys_signalfd(const void *mask, int nonblock) {
  return (int)syscall(SYS_signalfd4, -1, mask, (size_t)(_NSIG / 8), (nonblock ? SFD_NONBLOCK : 0) | SFD_CLOEXEC);
}

int sys_loopback_up(void) {
  int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int rc = (int)syscall(SYS_ioctl, fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = (int)syscall(SYS_ioctl, fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  syscall(SYS_close, fd);
  errno = saved;
  return rc;
}

long sys_fs_type(const char *path) {
  struct statfs st;
  if (syscall(SYS_statfs, path, &st) != 0) return -1;
  return (long)st.f_type;
}

int sys_mount_flags(const char *path, unsigned long *flags) {
  struct statvfs st;
  if (statvfs(path, &st) != 0) return -1;
  unsigned long f = 0;
  if (st.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  *flags = f;
  return 0;
}
