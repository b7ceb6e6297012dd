/* Whole-tree helpers on upper/work directories. */
#ifndef STRATA_TREE_H
#define STRATA_TREE_H

/* Removes dirfd/name and everything under it (no symlink is followed). 0 or -errno. */
int ufs_remove_tree(int dirfd, const char *name);

#endif
