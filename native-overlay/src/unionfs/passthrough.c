/* FUSE passthrough (Linux 6.9+) on top of Debian's libfuse 3.14, which predates it: our custom I/O sees the
 * kernel's INIT request and, when the kernel offers FUSE_PASSTHROUGH, adds it to libfuse's INIT reply; open
 * and create replies are then written by hand with FOPEN_PASSTHROUGH and a backing id, so file data never
 * passes through this daemon. Everything else is plain libfuse. */
#define _GNU_SOURCE
#include "unionfs.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#define OP_INIT 26
#define INIT_EXT (1u << 30)
#define INIT_KILLPRIV_V2 (1u << 28)
#define FLAGS2_PASSTHROUGH (1u << 5) /* FUSE_PASSTHROUGH is bit 37 of the 64-bit init flags */
#define OPEN_PASSTHROUGH (1u << 7)
#define INIT_OUT_FLAGS2 32
#define INIT_OUT_STACK_DEPTH 36

struct backing_map {
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define IOC_BACKING_OPEN _IOW(229, 1, struct backing_map)
#define IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

struct open_out {
  uint64_t fh;
  uint32_t open_flags;
  int32_t backing_id;
};

static uint64_t init_unique;
static bool kernel_offers;
static bool kernel_offers_killpriv;

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata) {
  (void)userdata;
  ssize_t n = sys_read(fd, buf, len);
  if (n < 0) { errno = (int)-n; return -1; }
  if ((size_t)n >= sizeof(struct fuse_in_header) + 20) {
    const struct fuse_in_header *h = buf;
    if (h->opcode == OP_INIT) {
      const uint32_t *in = (const uint32_t *)(h + 1); /* major, minor, max_readahead, flags, flags2 */
      init_unique = h->unique;
      kernel_offers = (in[3] & INIT_EXT) && (in[4] & FLAGS2_PASSTHROUGH);
      kernel_offers_killpriv = in[3] & INIT_KILLPRIV_V2;
    }
  }
  return n;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata) {
  (void)userdata;
  if (count >= 2 && iov[0].iov_len == sizeof(struct fuse_out_header) && init_unique) {
    struct fuse_out_header *h = iov[0].iov_base;
    if (h->unique == init_unique && h->error == 0 && iov[1].iov_len >= INIT_OUT_STACK_DEPTH + 4) {
      init_unique = 0;
      if (kernel_offers_killpriv) {
        /* libfuse 3.14 cannot ask for this; with it the kernel stops asking for security.capability before
         * every write (SB_NOSEC), and privs.c drops set-id bits itself */
        ((struct fuse_init_out *)iov[1].iov_base)->flags |= INIT_KILLPRIV_V2;
        g_ufs.killpriv = true;
      }
      if (kernel_offers && !g_ufs.opt.no_passthrough && g_ufs.devfd >= 0) {
        char *out = iov[1].iov_base;
        struct fuse_init_out *io = (struct fuse_init_out *)out;
        uint32_t flags2, depth = 1; /* backing files may not be stacked filesystems themselves */
        io->flags |= INIT_EXT;
        io->flags &= ~(uint32_t)FUSE_WRITEBACK_CACHE; /* the kernel refuses passthrough with it */
        memcpy(&flags2, out + INIT_OUT_FLAGS2, 4);
        flags2 |= FLAGS2_PASSTHROUGH;
        memcpy(out + INIT_OUT_FLAGS2, &flags2, 4);
        memcpy(out + INIT_OUT_STACK_DEPTH, &depth, 4);
        g_ufs.passthrough = true;
      }
    }
  }
  ssize_t n = sys_writev(fd, iov, count);
  if (n < 0) { errno = (int)-n; return -1; }
  return n;
}

const struct fuse_custom_io ufs_custom_io = {
  .writev = io_writev,
  .read = io_read,
};

int ufs_backing_open(struct ufs *u, int fd) {
  if (!u->passthrough) return -ENOSYS;
  struct backing_map map = {.fd = fd};
  return sys_ioctl_ptr(u->devfd, IOC_BACKING_OPEN, &map);
}

void ufs_backing_close(struct ufs *u, int id) {
  uint32_t v = (uint32_t)id;
  if (id > 0) sys_ioctl_ptr(u->devfd, IOC_BACKING_CLOSE, &v);
}

static uint32_t open_flags(const struct fuse_file_info *fi, int backing_id) {
  uint32_t f = 0;
  if (fi->direct_io) f |= FOPEN_DIRECT_IO;
  if (fi->keep_cache) f |= FOPEN_KEEP_CACHE;
  if (fi->nonseekable) f |= FOPEN_NONSEEKABLE;
  if (fi->noflush) f |= FOPEN_NOFLUSH;
  /* the kernel accepts only these flags beside FOPEN_PASSTHROUGH (there is no page cache to keep) */
  if (backing_id > 0) f = (f & (FOPEN_DIRECT_IO | FOPEN_NOFLUSH | FOPEN_PARALLEL_DIRECT_WRITES)) | OPEN_PASSTHROUGH;
  return f;
}

int ufs_reply_open(fuse_req_t req, struct fuse_file_info *fi, int backing_id) {
  if (backing_id <= 0) return fuse_reply_open(req, fi);
  struct open_out o = {.fh = fi->fh, .open_flags = open_flags(fi, backing_id), .backing_id = backing_id};
  return fuse_reply_buf(req, (const char *)&o, sizeof o);
}

static void split_timeout(double t, uint64_t *sec, uint32_t *nsec) {
  if (t <= 0) { *sec = 0; *nsec = 0; return; }
  if (t > 1e18) t = 1e18;
  *sec = (uint64_t)t;
  *nsec = (uint32_t)((t - (double)*sec) * 1e9);
}

int ufs_reply_create(fuse_req_t req, const struct fuse_entry_param *e, struct fuse_file_info *fi, int backing_id) {
  if (backing_id <= 0) return fuse_reply_create(req, e, fi);
  struct {
    struct fuse_entry_out entry;
    struct open_out open;
  } out;
  memset(&out, 0, sizeof out);
  out.entry.nodeid = e->ino;
  out.entry.generation = e->generation;
  split_timeout(e->entry_timeout, &out.entry.entry_valid, &out.entry.entry_valid_nsec);
  split_timeout(e->attr_timeout, &out.entry.attr_valid, &out.entry.attr_valid_nsec);
  const struct stat *st = &e->attr;
  struct fuse_attr *a = &out.entry.attr;
  a->ino = st->st_ino;
  a->size = (uint64_t)st->st_size;
  a->blocks = (uint64_t)st->st_blocks;
  a->atime = (uint64_t)st->st_atim.tv_sec;
  a->mtime = (uint64_t)st->st_mtim.tv_sec;
  a->ctime = (uint64_t)st->st_ctim.tv_sec;
  a->atimensec = (uint32_t)st->st_atim.tv_nsec;
  a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
  a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
  a->mode = st->st_mode;
  a->nlink = (uint32_t)st->st_nlink;
  a->uid = st->st_uid;
  a->gid = st->st_gid;
  a->rdev = (uint32_t)st->st_rdev;
  a->blksize = (uint32_t)st->st_blksize;
  out.open.fh = fi->fh;
  out.open.open_flags = open_flags(fi, backing_id);
  out.open.backing_id = backing_id;
  return fuse_reply_buf(req, (const char *)&out, sizeof out);
}
