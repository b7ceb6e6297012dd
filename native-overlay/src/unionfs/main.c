/* strata-unionfs: a copy-on-write union filesystem over FUSE with the kernel overlay's on-disk format.
 * Startup: parse, daemonize, start the unmount guardian, open layers, mount, report ready, serve; on
 * SIGTERM/SIGINT/SIGHUP the loop ends and we unmount before exiting. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "tracked.h"
#include "../sys/fsys.h"
#include "../sys/proc.h"
#include "../sys/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ufs g_ufs;

static int make_root(struct ufs *u) {
  int top = u->layers[UPPER].fd >= 0 ? UPPER : 1;
  struct stat st;
  int r = sys_fstatat(u->layers[top].fd, ".", &st, 0);
  if (r < 0) return r;
  int last = u->nlayers - 1;
  for (int i = top; i < u->nlayers; i++)
    if (ufs_is_opaque(u, i, ".")) { last = i; break; }
  u->root = node_new(u, NULL, "", &st, top, last, ufs_make_ino(u, top, st.st_ino));
  if (!u->root) return -ENOMEM;
  u->root->nlookup = 1;
  return 0;
}

static int setup(struct ufs *u) {
  pthread_mutex_init(&u->lock, NULL);
  u->tablesize = 1 << 16;
  u->table = calloc(u->tablesize, sizeof *u->table);
  if (!u->table) return -ENOMEM;
  u->privileged = sys_geteuid() == 0;
  u->made_uid = sys_geteuid();
  u->made_gid = sys_getegid();
  u->pid = sys_getpid();
  u->wh_files = !u->privileged;
  u->opaque_xattr = u->privileged ? "trusted.overlay.opaque" : "user.overlay.opaque";
  u->devfd = -1;
  sys_raise_nofile_limit();
  int r = ufs_open_layers(u);
  if (r < 0) return r;
  return make_root(u);
}

static int mount_it(struct ufs *u, int argc0, char *argv0) {
  char *fargs[4] = {argv0, NULL, NULL, NULL};
  int n = 1;
  if (u->opt.debug) fargs[n++] = "-d";
  if (!u->privileged) { fargs[n++] = "-o"; fargs[n++] = "default_permissions,fsname=strata-unionfs"; }
  (void)argc0;
  struct fuse_args args = FUSE_ARGS_INIT(n, fargs);
  u->se = fuse_session_new(&args, &ufs_ops, sizeof ufs_ops, u);
  fuse_opt_free_args(&args);
  if (!u->se) { fprintf(stderr, "strata-unionfs: cannot create the FUSE session\n"); return -EIO; }
  bool ro = u->opt.readonly || !u->opt.upper;
  if (!u->privileged) {
    if (fuse_session_mount(u->se, u->opt.mountpoint) != 0) return -EIO;
    return 0;
  }
  int fd = sys_openat(AT_FDCWD, "/dev/fuse", O_RDWR, 0);
  if (fd < 0) { fprintf(stderr, "strata-unionfs: /dev/fuse: %s\n", strerror(-fd)); return fd; }
  struct stat st;
  int r = ufs_node_stat(u, u->root, &st);
  if (r == 0) r = sys_mount_fuse(fd, u->opt.mountpoint, "strata-unionfs", ro, st.st_mode & S_IFMT);
  if (r < 0) {
    fprintf(stderr, "strata-unionfs: mount %s: %s\n", u->opt.mountpoint, strerror(-r));
    sys_close(fd);
    return r;
  }
  u->devfd = fd;
  if (fuse_session_custom_io(u->se, &ufs_custom_io, fd) != 0) return -EIO;
  return 0;
}

static void unmount_it(struct ufs *u) {
  if (!u->privileged) { fuse_session_unmount(u->se); return; }
  if (sys_umount(u->opt.mountpoint, 0) == -EBUSY) sys_umount(u->opt.mountpoint, 2 /* MNT_DETACH */);
}

/* Absolute paths, so the daemon can leave its working directory (it would keep that filesystem busy). */
static void absolutize(char **p) {
  if (!*p) return;
  char *abs = sys_realpath(*p);
  if (abs) { free(*p); *p = abs; }
}

int main(int argc, char **argv) {
  struct ufs *u = &g_ufs;
  int r = ufs_parse_args(argc, argv, &u->opt);
  if (r == 1) { ufs_usage(argv[0]); return 0; }
  if (r == 2) { printf("strata-unionfs 0.1.0 (libfuse %d)\n", fuse_version()); return 0; }
  if (r < 0) { ufs_usage(argv[0]); return 1; }
  sys_umask0(); /* modes arrive with the caller's umask already applied */
  absolutize(&u->opt.mountpoint);
  absolutize(&u->opt.upper);
  absolutize(&u->opt.work);
  for (int i = 0; i < u->opt.nlowers; i++) absolutize(&u->opt.lowers[i]);
  if (u->opt.mountpoint[0] != '/') { fprintf(stderr, "strata-unionfs: mount point %s: not found\n", u->opt.mountpoint); return 1; }
  sys_chdir("/");
  int ready = -1;
  if (!u->opt.foreground && sys_daemonize(&ready) < 0) { perror("strata-unionfs: fork"); return 1; }
  int guardian = sys_spawn_guardian(u->opt.mountpoint);
  if ((r = setup(u)) < 0) return 1;
  if ((r = mount_it(u, argc, argv[0])) < 0) return 1;
  if (fuse_set_signal_handlers(u->se) != 0) { unmount_it(u); return 1; }
  sys_report_ready(ready);
  if (!u->opt.foreground) sys_detach_stdio();
  if (!u->opt.threaded) {
    r = fuse_session_loop(u->se);
  } else {
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(cfg, 16);
    fuse_loop_cfg_set_idle_threads(cfg, 4);
    r = fuse_session_loop_mt(u->se, cfg);
    fuse_loop_cfg_destroy(cfg);
  }
  fuse_remove_signal_handlers(u->se);
  unmount_it(u);
  fuse_session_destroy(u->se);
  tracked_release_all();
  sys_guardian_goodbye(guardian);
  return r < 0 ? 1 : 0;
}
