/* Stub mount point removal (see stubs.h). */
#define _GNU_SOURCE
#include "stubs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sys.h"

static void remove_one(int rootfd, const char *path, int dir) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return;
  char *slash = strrchr(buf, '/');
  if (!slash || !slash[1]) return;
  *slash = '\0';
  int parent = sys_open_in_root(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY, 0);
  if (parent < 0) return;
  struct stat st;
  if (fstatat(parent, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (dir && S_ISDIR(st.st_mode)) unlinkat(parent, slash + 1, AT_REMOVEDIR); /* fails harmlessly if not empty */
    else if (!dir && S_ISREG(st.st_mode) && st.st_size == 0) unlinkat(parent, slash + 1, 0);
  }
  close(parent);
}

void stubs_remove(const char *rootfs, const char *reports) {
  size_t n = 0;
  for (const char *l = reports; (l = strstr(l, "stub")); l += 4) n++;
  if (n == 0) return;
  const char **lines = calloc(n, sizeof *lines);
  if (!lines) return;
  size_t k = 0;
  for (const char *l = reports; *l && k < n;) {
    if (!strncmp(l, "stubf=", 6) || !strncmp(l, "stubd=", 6)) lines[k++] = l;
    const char *nl = strchr(l, '\n');
    if (!nl) break;
    l = nl + 1;
  }
  int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd >= 0) {
    while (k-- > 0) {
      const char *l = lines[k];
      size_t len = strcspn(l + 6, "\n");
      char path[PATH_MAX];
      if (len >= sizeof path) continue;
      memcpy(path, l + 6, len);
      path[len] = '\0';
      remove_one(rootfd, path, l[4] == 'd');
    }
    close(rootfd);
  }
  free(lines);
}
