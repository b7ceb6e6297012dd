/* An open regular file: the real descriptor, and the passthrough backing it holds (0: none). */
#ifndef STRATA_HANDLE_H
#define STRATA_HANDLE_H

#include "unionfs.h"
#include "tracked.h"

struct handle {
  struct tracked tr; /* first: the tracked pointer is the handle */
  int fd;
  int backing_id;
  struct node *node;
};

/* Closes the descriptor and drops the node's passthrough backing reference (takes u->lock). */
void ufs_op_release_handle(struct handle *h);
void ufs_release_tracked(struct tracked *t);
/* True while open readers share a passthrough backing on a lower layer (data changes must wait). */
bool lower_backing_busy(const struct node *n);

int ufs_node_at(struct ufs *u, struct node *n, int *dirfd, char *path, size_t len, bool *viafd);

#endif
