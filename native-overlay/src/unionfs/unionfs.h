/* strata-unionfs: shared types. A node is one merged inode the kernel knows (FUSE nodeid = node pointer,
 * except the root, which is FUSE_ROOT_ID). Nodes are addressed by path (parent chain + name) relative to
 * each layer's root descriptor; all tree state is guarded by one mutex (data I/O never takes it). */
#ifndef STRATA_UNIONFS_H
#define STRATA_UNIONFS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define UPPER 0 /* layers[0] is the upper dir (fd -1 when mounted read-only) */

/* One layer root. */
struct layer {
  int fd;          /* O_PATH|O_DIRECTORY descriptor of the layer root */
  dev_t dev;
  unsigned devidx; /* index of dev among distinct layer devices (for inode numbers) */
  char *path;
};

struct node {
  struct node *parent;
  char *name;             /* "" for the root */
  struct node *hnext;     /* chain in the identity hash */
  dev_t kdev;             /* identity: the real object currently on top */
  ino_t kino;
  uint64_t ino;           /* st_ino reported to the kernel: the origin's, kept across copy-up */
  uint64_t nlookup;       /* kernel references */
  unsigned nchild;        /* nodes whose parent is this one */
  int layer;              /* layer holding the top object */
  int last;               /* directories: lowest layer merged into this one */
  uint64_t present;       /* directories: bit i = a directory in layer i (layers >= 64 are always probed) */
  mode_t type;            /* S_IFMT bits */
  mode_t mode;            /* last known st_mode and st_gid (set-gid dirs decide new files' group) */
  gid_t gid;
  int fd;                 /* -1, or O_PATH kept when our name was unlinked while other links remain */
  bool hashed;
  int backing_id;         /* passthrough backing shared by all opens of this node */
  unsigned backing_refs;
  int backing_layer;
};

/* Mount configuration from the command line (options.c). */
struct ufs_options {
  char **lowers;
  int nlowers;
  char *upper;
  char *work;
  char *mountpoint;
  bool foreground;
  bool debug;
  bool readonly;
  double timeout;
  bool no_passthrough;
  bool threaded;     /* -o threaded=1: a worker pool; default one thread (fewer wake-ups per request) */
};

struct ufs {
  struct ufs_options opt;
  struct layer *layers; /* [0] upper, [1..nlayers-1] lowers, top first */
  int nlayers;
  int workfd;
  bool has_upper;
  bool privileged;          /* root: trusted.* xattrs and mknod whiteouts */
  bool wh_files;            /* a .wh. file may exist (mknod was refused once, or unprivileged) */
  const char *opaque_xattr; /* trusted.overlay.opaque or user.overlay.opaque */
  int devfd;                /* /dev/fuse */
  bool passthrough;         /* negotiated FUSE passthrough */
  bool killpriv;            /* negotiated FUSE_HANDLE_KILLPRIV_V2: we drop set-id bits, not the kernel */
  bool no_clone;            /* FICLONE failed once for lack of support: copy instead from then on */
  uid_t made_uid;           /* owner and group a file we create in the work dir gets without a chown */
  gid_t made_gid;
  int pid;                  /* ours, for temp names (fixed once daemonized) */
  pthread_mutex_t lock;
  struct node *root;
  struct node **table;
  size_t tablesize;
  uint64_t tmpseq;
  struct fuse_session *se;
};

extern struct ufs g_ufs;

/* options.c */
int ufs_parse_args(int argc, char **argv, struct ufs_options *o);
void ufs_usage(const char *prog);

/* layers.c */
int ufs_open_layers(struct ufs *u);
uint64_t ufs_make_ino(const struct ufs *u, int layer, ino_t real);

/* nodes.c — all with u->lock held */
struct node *node_of(fuse_ino_t ino);
fuse_ino_t node_id(struct node *n);
struct node *node_find(struct ufs *u, dev_t dev, ino_t ino);
struct node *node_new(struct ufs *u, struct node *parent, const char *name, const struct stat *st, int layer,
                      int last, uint64_t ino);
void node_rehash(struct ufs *u, struct node *n, dev_t dev, ino_t ino);
void node_unhash(struct ufs *u, struct node *n);
int node_set_name(struct node *n, struct node *parent, const char *name);
void node_forget(struct ufs *u, struct node *n, uint64_t nlookup);
/* Relative path of n (or of child `name` under n when name != NULL) into buf: "." for the root. */
int node_path(const struct node *n, const char *name, char *buf, size_t len);

/* lookup.c */
struct found {
  int layer;       /* top layer holding the name */
  int last;        /* directories: lowest layer merged */
  uint64_t present;/* directories: layers holding it as a directory */
  struct stat st;  /* of the top object */
  bool lower_below;/* some lower layer below the top also holds the name (or a dir merges) */
  bool upper_whiteout; /* set even on -ENOENT: the upper holds a 0/0 device for the name */
  bool upper_wh_file;  /* ... or a .wh.<name> file */
};
/* Resolves name under dir across layers: 0 and *f, or -ENOENT (absent or whited out), or -errno. */
int ufs_resolve(struct ufs *u, struct node *dir, const char *name, struct found *f);
/* True when a layer below `from` (down to dir->last) holds name: deleting it then needs a whiteout. */
bool ufs_name_in_lower(struct ufs *u, struct node *dir, const char *name, int from);
/* Looks up (and references) the node for name under dir; fills e for the reply. */
int ufs_lookup(struct ufs *u, struct node *dir, const char *name, struct fuse_entry_param *e);
/* True when layer i may hold entries of dir (a layer without the directory need not be probed). */
static inline bool ufs_layer_in(const struct node *dir, int i) {
  return i >= 64 || ((dir->present >> i) & 1);
}

/* Adjusts a real stat to what the merged view reports for n (inode number, merged dirs' link count). */
void ufs_present(const struct node *n, struct stat *st);
void ufs_fill_entry(struct ufs *u, struct node *n, const struct stat *st, struct fuse_entry_param *e);
/* stat of the node's top object with the reported inode number. */
int ufs_node_stat(struct ufs *u, struct node *n, struct stat *st);

/* whiteout.c */
bool ufs_is_whiteout(const struct stat *st);
bool ufs_is_wh_name(const char *name);
int ufs_has_wh_file(struct ufs *u, int layer, const char *dirpath, const char *name);
bool ufs_is_opaque(struct ufs *u, int layer, const char *path);
int ufs_set_opaque(struct ufs *u, const char *upperpath);
int ufs_set_opaque_at(struct ufs *u, int dirfd, const char *path);
/* Replaces upper/<path> (which may or may not exist) with a whiteout. */
int ufs_make_whiteout(struct ufs *u, const char *dirpath, const char *name);
/* Removes whiteouts (and only those) from an upper directory so it can be removed or replaced. */
int ufs_clear_whiteouts(struct ufs *u, int dirfd_parent, const char *relpath);
/* Removes an upper .wh.<name> marker, if any, once name is created again. */
void ufs_drop_wh_file(struct ufs *u, const char *dirpath, const char *name);

/* copyup.c */
/* Makes n's object live in the upper layer (parents first). trunc: do not copy file data. */
int ufs_copy_up(struct ufs *u, struct node *n, bool trunc);
/* What a copy-up can also do for its caller; regular files only (fd -1 and have_st false otherwise, and when n
 * was in the upper layer already). */
struct copy_extra {
  int mode;      /* in: >= 0 gives the copy these permission bits instead of the original's (a chmod) */
  bool keep_fd;  /* in: leave the copy open read-write in fd, for the open that caused the copy-up */
  int fd;        /* out */
  bool have_st;  /* out: st is the copy's stat, taken after it was renamed into place */
  struct stat st;
};
int ufs_copy_up_ex(struct ufs *u, struct node *n, bool trunc, struct copy_extra *x);
/* A fresh name in the work dir for building an object before renaming it into place. */
void ufs_tmpname(struct ufs *u, char *buf, size_t len);
int ufs_copy_xattrs(struct ufs *u, int srcdirfd, const char *src, int dstdirfd, const char *dst);

/* readdir.c */
void ufs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ufs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void ufs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void ufs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/* Lists a merged directory's visible names (for rmdir's emptiness check): count of visible entries. */
int ufs_count_visible(struct ufs *u, struct node *dir, int limit);

/* passthrough.c */
extern const struct fuse_custom_io ufs_custom_io;
int ufs_backing_open(struct ufs *u, int fd);
void ufs_backing_close(struct ufs *u, int id);
int ufs_reply_open(fuse_req_t req, struct fuse_file_info *fi, int backing_id);
int ufs_reply_create(fuse_req_t req, const struct fuse_entry_param *e, struct fuse_file_info *fi, int backing_id);

/* privs.c */
/* Drops set-id bits and file capabilities before an unprivileged caller modifies n's data. */
void ufs_kill_privs(struct ufs *u, fuse_req_t req, struct node *n);

/* ops_*.c */
extern const struct fuse_lowlevel_ops ufs_ops;
void ufs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void ufs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void ufs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void ufs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ufs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi);
void ufs_op_readlink(fuse_req_t req, fuse_ino_t ino);
void ufs_op_statfs(fuse_req_t req, fuse_ino_t ino);
void ufs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void ufs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void ufs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void ufs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void ufs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void ufs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void ufs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
                   unsigned int flags);
void ufs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ufs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi);
void ufs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void ufs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *buf, off_t off, struct fuse_file_info *fi);
void ufs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ufs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void ufs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, struct fuse_file_info *fi);
void ufs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags);
void ufs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void ufs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void ufs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* Creation helpers (ops_create.c). */
struct creds { uid_t uid; gid_t gid; };
struct creds ufs_creds_for(struct ufs *u, fuse_req_t req, struct node *dir, mode_t *mode);

#define LOCK(u) pthread_mutex_lock(&(u)->lock)
#define UNLOCK(u) pthread_mutex_unlock(&(u)->lock)

#endif
