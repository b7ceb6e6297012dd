/* The FUSE low-level op table and connection setup. */
#define _GNU_SOURCE
#include "unionfs.h"

static void ufs_init(void *userdata, struct fuse_conn_info *conn) {
  (void)userdata;
  unsigned want = FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_CACHE_SYMLINKS |
                  FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_ASYNC_READ;
  conn->want |= want & conn->capable;
  /* no writeback cache (the kernel refuses it with passthrough) and no splice (custom I/O) */
  conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
                            FUSE_CAP_SPLICE_MOVE | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
  conn->max_write = 1 << 20;
  conn->max_readahead = 1 << 20;
  conn->time_gran = 1;
}

const struct fuse_lowlevel_ops ufs_ops = {
  .init = ufs_init,
  .lookup = ufs_op_lookup,
  .forget = ufs_op_forget,
  .forget_multi = ufs_op_forget_multi,
  .getattr = ufs_op_getattr,
  .setattr = ufs_op_setattr,
  .readlink = ufs_op_readlink,
  .mknod = ufs_op_mknod,
  .mkdir = ufs_op_mkdir,
  .unlink = ufs_op_unlink,
  .rmdir = ufs_op_rmdir,
  .symlink = ufs_op_symlink,
  .rename = ufs_op_rename,
  .link = ufs_op_link,
  .open = ufs_op_open,
  .read = ufs_op_read,
  .write_buf = ufs_op_write_buf,
  /* no .flush: its ENOSYS makes the kernel stop sending FLUSH on every close (nothing is buffered here) */
  .release = ufs_op_release,
  .fsync = ufs_op_fsync,
  .opendir = ufs_op_opendir,
  .readdir = ufs_op_readdir,
  .readdirplus = ufs_op_readdirplus,
  .releasedir = ufs_op_releasedir,
  .statfs = ufs_op_statfs,
  .setxattr = ufs_op_setxattr,
  .getxattr = ufs_op_getxattr,
  .listxattr = ufs_op_listxattr,
  .removexattr = ufs_op_removexattr,
  .create = ufs_op_create,
  .fallocate = ufs_op_fallocate,
};
