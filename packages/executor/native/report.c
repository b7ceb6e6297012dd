/* Report channel helpers (see report.h). */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void vreport(int fd, const char *key, const char *suffix, const char *fmt, va_list ap) {
  char line[1024];
  int n = snprintf(line, sizeof line, "%s=", key);
  if (n < 0) return;
  int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  if (m < 0) return;
  size_t len = strlen(line);
  if (suffix && len < sizeof line - 1) {
    snprintf(line + len, sizeof line - len, ": %s", suffix);
    len = strlen(line);
  }
  for (size_t i = 0; i < len; i++)
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  if (len >= sizeof line - 1) len = sizeof line - 2;
  line[len++] = '\n';
  ssize_t w;
  do w = write(fd, line, len);
  while (w < 0 && errno == EINTR);
}

void report(int fd, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fd, key, NULL, fmt, ap);
  va_end(ap);
}

void die_errno(int fd, const char *fmt, ...) {
  const char *why = strerror(errno);
  va_list ap;
  va_start(ap, fmt);
  vreport(fd, "error", why, fmt, ap);
  va_end(ap);
  _exit(125);
}

void die_msg(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fd, "error", NULL, fmt, ap);
  va_end(ap);
  _exit(125);
}

const char *fd_path(int fd, char buf[32]) {
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}
