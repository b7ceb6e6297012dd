/* Pid namespace scan (see pidns.h). */
#define _GNU_SOURCE
#include "pidns.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

unsigned long long pidns_of(pid_t pid) {
  char p[64];
  struct stat st;
  snprintf(p, sizeof p, "/proc/%d/ns/pid", (int)pid);
  return stat(p, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

int pidns_kill_all(unsigned long long ns) {
  if (!ns) return 0;
  int found = 0;
  for (int round = 0; round < 10000; round++) {
    DIR *d = opendir("/proc");
    if (!d) return -1;
    int any = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      char *end;
      long pid = strtol(e->d_name, &end, 10);
      if (*end || pid <= 0) continue;
      if (pidns_of((pid_t)pid) == ns) {
        any = 1;
        found++;
        kill((pid_t)pid, SIGKILL);
      }
    }
    closedir(d);
    if (!any) return found;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  return -1;
}
