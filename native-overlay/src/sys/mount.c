/* Overlay mount through the new mount API (fsopen/fsconfig/fsmount/move_mount): every lower dir is its own
 * "lowerdir+" parameter, so paths need no escaping and the chain is not limited to one page of options.
 * Falls back to mount(2) with a joined option string on kernels without that API. */
#define _GNU_SOURCE
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#define SF_FLAG 0
#define SF_STRING 1
#define SF_CMD_CREATE 6
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static int fs_config(int fd, unsigned cmd, const char *key, const char *value) {
  return (int)syscall(SYS_fsconfig, fd, cmd, key, value, 0);
}

/* Drains the fs context's message log into msg (the kernel's one-line reason for a failure). */
static void read_fs_log(int fd, char *msg, size_t msglen) {
  char buf[512];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0) break;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) n--;
    buf[n] = 0;
    /* entries look like "e overlay: reason"; keep the reason */
    const char *text = (n > 2 && buf[1] == ' ') ? buf + 2 : buf;
    if (msg && msglen > 0) snprintf(msg, msglen, "%s", text);
  }
}

static int config_extra(int fd, const char *opt) {
  const char *eq = strchr(opt, '=');
  if (!eq) return fs_config(fd, SF_FLAG, opt, NULL);
  size_t klen = (size_t)(eq - opt);
  char *key = strndup(opt, klen);
  if (!key) return -1;
  int r = fs_config(fd, SF_STRING, key, eq + 1);
  int saved = errno;
  free(key);
  errno = saved;
  return r;
}

static int mount_new_api(const char *target, const char *const *lowers, size_t nlowers, const char *upper,
                         const char *work, const char *const *extra, size_t nextra, char *msg, size_t msglen) {
  int fd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fd < 0) return -errno;
  int err = 0;
  if (fs_config(fd, SF_STRING, "source", "overlay") < 0) err = errno;
  for (size_t i = 0; !err && i < nlowers; i++)
    if (fs_config(fd, SF_STRING, "lowerdir+", lowers[i]) < 0) err = errno;
  if (!err && upper && fs_config(fd, SF_STRING, "upperdir", upper) < 0) err = errno;
  if (!err && work && fs_config(fd, SF_STRING, "workdir", work) < 0) err = errno;
  for (size_t i = 0; !err && i < nextra; i++)
    if (config_extra(fd, extra[i]) < 0) err = errno;
  if (!err && fs_config(fd, SF_CMD_CREATE, NULL, NULL) < 0) err = errno;
  int mfd = -1;
  if (!err) {
    mfd = (int)syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, 0);
    if (mfd < 0) err = errno;
  }
  if (err) read_fs_log(fd, msg, msglen);
  close(fd);
  if (!err && syscall(SYS_move_mount, mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) err = errno;
  if (mfd >= 0) close(mfd);
  return -err;
}

/* Legacy path: one comma-separated option string; paths must not contain ',' or ':'. */
static int mount_legacy(const char *target, const char *const *lowers, size_t nlowers, const char *upper,
                        const char *work, const char *const *extra, size_t nextra) {
  size_t len = 64;
  for (size_t i = 0; i < nlowers; i++) len += strlen(lowers[i]) + 1;
  if (upper) len += strlen(upper) + 10;
  if (work) len += strlen(work) + 10;
  for (size_t i = 0; i < nextra; i++) len += strlen(extra[i]) + 1;
  char *data = malloc(len);
  if (!data) return -ENOMEM;
  size_t at = (size_t)snprintf(data, len, "lowerdir=");
  for (size_t i = 0; i < nlowers; i++) at += (size_t)snprintf(data + at, len - at, "%s%s", i ? ":" : "", lowers[i]);
  if (upper) at += (size_t)snprintf(data + at, len - at, ",upperdir=%s", upper);
  if (work) at += (size_t)snprintf(data + at, len - at, ",workdir=%s", work);
  for (size_t i = 0; i < nextra; i++) at += (size_t)snprintf(data + at, len - at, ",%s", extra[i]);
  int r = mount("overlay", target, "overlay", 0, data) < 0 ? -errno : 0;
  free(data);
  return r;
}

int sys_mount_overlay(const char *target, const char *const *lowers, size_t nlowers, const char *upper,
                      const char *work, const char *const *extra, size_t nextra, char *msg, size_t msglen) {
  if (msg && msglen) msg[0] = 0;
  int r = mount_new_api(target, lowers, nlowers, upper, work, extra, nextra, msg, msglen);
  if (r != -ENOSYS) return r;
  return mount_legacy(target, lowers, nlowers, upper, work, extra, nextra);
}

int sys_umount(const char *target, int flags) {
  return umount2(target, flags) < 0 ? -errno : 0;
}
