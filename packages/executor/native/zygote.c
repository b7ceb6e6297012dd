/* strata-zygote: starts launchers for @strata/executor without Node forking itself for every step.
 *
 *   strata-zygote LAUNCHER
 *
 * Forking a Node process copies its page tables (milliseconds for a build's heap, on the event loop); this
 * small process forks cheaply instead. It reads requests on stdin and multiplexes every launcher's output
 * onto stdout, as frames:
 *
 *   in:  "R <id> <len>\n" + len bytes   start LAUNCHER --spec-fd 3 --result-fd 4; the bytes go to its fd 3
 *        "K <id>\n"                     write 'k' to that launcher's fd 3 (it kills the step)
 *   out: "O <id> <len>\n" + bytes       the step's stdout (E: stderr, Q: the launcher's result lines)
 *        "X <id> <code> <signal>\n"     the launcher was reaped and all its output delivered
 *        "F <id> <message>\n"           the launcher could not be started
 *
 * End of stdin (Node exited or died) closes every launcher's fd 3, which makes each kill its step, as a
 * launcher does when its Node parent goes away; then this process reaps them and exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/sys.h"

#define MAX_RUNS 256
#define MAX_FRAME (64u << 20)

enum { OUT, ERR, RES, NSTREAMS };
static const char TAG[NSTREAMS] = {'O', 'E', 'Q'};

struct run {
  int used;
  unsigned long id;
  pid_t pid;
  int ctl;              /* write end of the launcher's fd 3, -1 once closed */
  int fd[NSTREAMS];     /* read ends, -1 once at end of file */
  int reaped, status;
};

static struct run runs[MAX_RUNS];
static const char *launcher;

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0); /* Node is gone: nothing left to report to */
    p += n;
    len -= (size_t)n;
  }
}

static void frame(char tag, unsigned long id, const char *data, size_t len) {
  char head[64];
  int n = snprintf(head, sizeof head, "%c %lu %zu\n", tag, id, len);
  write_all(1, head, (size_t)n);
  if (len) write_all(1, data, len);
}

static void line(const char *text) {
  write_all(1, text, strlen(text));
}

static struct run *find(unsigned long id) {
  for (int i = 0; i < MAX_RUNS; i++)
    if (runs[i].used && runs[i].id == id) return &runs[i];
  return NULL;
}

static void fail(unsigned long id, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "F %lu %s: %s\n", id, what, strerror(errno));
  line(msg);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Moves fd to `to` in a child about to exec (dup2 clears close-on-exec on the copy). */
static void place(int fd, int to) {
  if (dup2(fd, to) < 0) _exit(125);
}

static void start(unsigned long id, const char *body, size_t len) {
  struct run *r = NULL;
  for (int i = 0; i < MAX_RUNS && !r; i++)
    if (!runs[i].used) r = &runs[i];
  if (!r) {
    errno = EAGAIN;
    fail(id, "too many steps at once");
    return;
  }
  int ctl[2], p[NSTREAMS][2], made = 0;
  if (pipe2(ctl, O_CLOEXEC) != 0) {
    fail(id, "pipe");
    return;
  }
  while (made < NSTREAMS && pipe2(p[made], O_CLOEXEC) == 0) made++;
  pid_t pid = made == NSTREAMS ? fork() : -1;
  if (pid < 0) {
    fail(id, made == NSTREAMS ? "fork" : "pipe");
    for (int t = 0; t < made; t++) {
      close(p[t][0]);
      close(p[t][1]);
    }
    close(ctl[0]);
    close(ctl[1]);
    return;
  }
  if (pid == 0) {
    /* First lift every source above 0..4 so that placing one never overwrites another. */
    int src[5] = {open("/dev/null", O_RDONLY | O_CLOEXEC), p[OUT][1], p[ERR][1], ctl[0], p[RES][1]};
    for (int i = 0; i < 5; i++) {
      if (src[i] < 0) _exit(125);
      src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
      if (src[i] < 0) _exit(125);
    }
    for (int i = 0; i < 5; i++) place(src[i], i);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execl(launcher, launcher, "--spec-fd", "3", "--result-fd", "4", (char *)NULL);
    _exit(125);
  }
  close(ctl[0]);
  for (int s = 0; s < NSTREAMS; s++) close(p[s][1]);
  memset(r, 0, sizeof *r);
  r->used = 1;
  r->id = id;
  r->pid = pid;
  r->ctl = ctl[1];
  for (int s = 0; s < NSTREAMS; s++) r->fd[s] = p[s][0];
  /* The launcher reads its whole spec before anything else, so a spec larger than the pipe cannot stall. */
  const char *b = body;
  while (len) {
    ssize_t n = write(r->ctl, b, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* the launcher died early: its result says why */
    b += n;
    len -= (size_t)n;
  }
}

/* Sends X once the launcher is reaped and every stream is drained, then frees the slot. */
static void maybe_done(struct run *r) {
  if (!r->reaped || r->fd[OUT] >= 0 || r->fd[ERR] >= 0 || r->fd[RES] >= 0) return;
  close_fd(&r->ctl);
  char msg[96];
  int code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
  int sig = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
  snprintf(msg, sizeof msg, "X %lu %d %d\n", r->id, code, sig);
  line(msg);
  r->used = 0;
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
    for (int i = 0; i < MAX_RUNS; i++)
      if (runs[i].used && runs[i].pid == pid) {
        runs[i].reaped = 1;
        runs[i].status = st;
        maybe_done(&runs[i]);
      }
}

/* Parses and acts on every whole request in buf; returns how many bytes were consumed. */
static size_t handle(char *buf, size_t len) {
  size_t used = 0;
  for (;;) {
    char *nl = memchr(buf + used, '\n', len - used);
    if (!nl) {
      if (len - used > 64) { fprintf(stderr, "strata-zygote: bad request line\n"); exit(2); }
      return used;
    }
    *nl = '\0';
    char kind = buf[used];
    unsigned long id = 0, n = 0;
    char *end;
    if (kind == 'K') {
      id = strtoul(buf + used + 1, &end, 10);
      struct run *r = find(id);
      if (r && r->ctl >= 0) {
        ssize_t w;
        do w = write(r->ctl, "k", 1);
        while (w < 0 && errno == EINTR);
      }
      used = (size_t)(nl - buf) + 1;
      continue;
    }
    if (kind != 'R' || sscanf(buf + used + 1, "%lu %lu", &id, &n) != 2 || n > MAX_FRAME) {
      fprintf(stderr, "strata-zygote: bad request\n");
      exit(2);
    }
    size_t body = (size_t)(nl - buf) + 1;
    if (len - body < n) {
      *nl = '\n';
      return used;
    }
    start(id, buf + body, n);
    used = body + n;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: strata-zygote LAUNCHER\n");
    return 2;
  }
  launcher = argv[1];
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = sys_signalfd(&chld, 1);
  if (sfd < 0) return 2;
  size_t cap = 1 << 16, len = 0;
  char *in = malloc(cap);
  char chunk[65536];
  int stdin_open = 1;
  if (!in) return 2;
  for (;;) {
    struct pollfd pf[2 + MAX_RUNS * NSTREAMS];
    struct { int run, stream; } who[MAX_RUNS * NSTREAMS];
    int n = 0, live = 0;
    pf[n++] = (struct pollfd){stdin_open ? 0 : -1, POLLIN, 0};
    pf[n++] = (struct pollfd){sfd, POLLIN, 0};
    for (int i = 0; i < MAX_RUNS; i++) {
      if (!runs[i].used) continue;
      live++;
      for (int s = 0; s < NSTREAMS; s++)
        if (runs[i].fd[s] >= 0) {
          who[n - 2].run = i;
          who[n - 2].stream = s;
          pf[n++] = (struct pollfd){runs[i].fd[s], POLLIN, 0};
        }
    }
    if (!stdin_open && !live) break;
    if (poll(pf, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pf[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {}
      reap();
    }
    for (int k = 2; k < n; k++) {
      if (!pf[k].revents) continue;
      struct run *r = &runs[who[k - 2].run];
      int s = who[k - 2].stream;
      ssize_t got = read(r->fd[s], chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got > 0 && stdin_open) frame(TAG[s], r->id, chunk, (size_t)got);
      if (got <= 0) {
        close_fd(&r->fd[s]);
        maybe_done(r);
      }
    }
    if (stdin_open && pf[0].revents) {
      if (len == cap) {
        char *bigger = cap >= MAX_FRAME * 2 ? NULL : realloc(in, cap * 2);
        if (!bigger) {
          fprintf(stderr, "strata-zygote: request too large\n");
          break;
        }
        in = bigger;
        cap *= 2;
      }
      ssize_t got = read(0, in + len, cap - len);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        /* Node is gone: every launcher sees end of file on its control fd and kills its step. */
        stdin_open = 0;
        for (int i = 0; i < MAX_RUNS; i++)
          if (runs[i].used) close_fd(&runs[i].ctl);
        continue;
      }
      len += (size_t)got;
      size_t used = handle(in, len);
      memmove(in, in + used, len - used);
      len -= used;
    }
  }
  free(in);
  return 0;
}
