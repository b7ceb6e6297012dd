/* The report channel: one `key=value\n` line per write, so lines from the init, the workload and the
 * launcher never interleave (a write of at most PIPE_BUF bytes to a pipe is atomic). */
#ifndef STRATA_REPORT_H
#define STRATA_REPORT_H

#include <stddef.h>

/* Writes `key=<formatted value>\n` to fd; newlines in the value become spaces. */
void report(int fd, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reports `error=<message>: <strerror(errno)>` and exits with 125 (the same code Docker uses). */
void die_errno(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Reports `error=<message>` and exits with 125. */
void die_msg(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "/proc/self/fd/N" for fd, in buf. */
const char *fd_path(int fd, char buf[32]);

#endif
