/* With FUSE_HANDLE_KILLPRIV_V2 the server, not the kernel, drops privileges when an unprivileged caller
 * writes or truncates a file: set-uid, set-gid (when group-executable) and security.capability. Passthrough
 * writes run with the daemon's credentials, which keep them, so we drop them when such a caller opens for
 * writing or truncates (slightly earlier than the first write itself). */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"
#include "../sys/xattrat.h"

#include <errno.h>
#include <fcntl.h>

void ufs_kill_privs(struct ufs *u, fuse_req_t req, struct node *n) {
  if (!u->killpriv || fuse_req_ctx(req)->uid == 0 || n->type != S_IFREG || n->layer != UPPER || n->fd >= 0) return;
  char path[PATH_MAX];
  if (node_path(n, NULL, path, sizeof path) < 0) return;
  int up = u->layers[UPPER].fd;
  struct stat st;
  if (sys_fstatat(up, path, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  mode_t mode = st.st_mode & 07777;
  if (mode & S_ISUID) mode &= ~(mode_t)S_ISUID;
  if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) mode &= ~(mode_t)S_ISGID;
  if (mode != (st.st_mode & 07777)) sys_fchmodat(up, path, mode);
  sys_removexattrat(up, path, "security.capability");
}
