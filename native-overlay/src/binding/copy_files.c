/* copySmallFiles(srcDir, destDir, names, params) → Promise<{ data: Buffer, sizes: Float64Array }>: copies small
 * regular files `names` from srcDir into destDir, where none of them exists yet, through memory
 * (sys_copy_small_at), on the libuv thread pool, and resolves to their contents one after another and each
 * one's size. params holds COPY_PARAMS numbers per file, in the order
 * lib/index.ts documents: expected size, mode, uid, gid, mtime (seconds), flags (1: chown to uid:gid, 2: chmod
 * to mode). One call per directory of a COPY: file creation is the kernel's work, and it scales across cores
 * (two halves of 10,000 small files copied at once: 0.33 → 0.17 s here), which the main thread alone cannot. */
#include "copy_files.h"
#include "async_job.h"
#include "../sys/copy.h"
#include "../sys/fsys.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_SIZE, P_MODE, P_UID, P_GID, P_MTIME, P_FLAGS, COPY_PARAMS };

/* Where a job failed: a file's index, or one of the two directories. */
#define AT_DIR SIZE_MAX

typedef struct {
  char *src_dir, *dest_dir;
  char **names;
  size_t n;
  double *params;
  char **data;
  size_t *len;
  size_t done; /* files copied, in order */
  int err;
  const char *step;
  int on_dest;
  size_t failed;
  napi_deferred deferred;
  napi_async_work work;
} copy_job;

/* Seconds as Node's futimes passes them to the kernel (libuv: microseconds kept, the rest truncated). */
static struct timespec to_timespec(double t) {
  struct timespec ts;
  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  ts.tv_nsec -= ts.tv_nsec % 1000;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000L;
    ts.tv_sec -= 1;
  }
  return ts;
}

static bool whole_in(double v, double lo, double hi) {
  return v >= lo && v <= hi && v == floor(v);
}

static bool params_ok(const double *q) {
  return whole_in(q[P_SIZE], 0, 1 << 30) && whole_in(q[P_MODE], 0, 07777) && whole_in(q[P_UID], 0, 4294967294.0) &&
         whole_in(q[P_GID], 0, 4294967294.0) && isfinite(q[P_MTIME]) && fabs(q[P_MTIME]) < 1e15 &&
         whole_in(q[P_FLAGS], 0, SYS_COPY_CHOWN | SYS_COPY_CHMOD);
}

static void job_free(copy_job *j) {
  if (j->data != NULL)
    for (size_t i = 0; i < j->done; i++) free(j->data[i]);
  free(j->data);
  free(j->len);
  free(j->params);
  strv_free(j->names, j->n);
  free(j->src_dir);
  free(j->dest_dir);
  free(j);
}

/* On a pool thread: no N-API calls here. */
static void execute(napi_env env, void *p) {
  (void)env;
  copy_job *j = p;
  int sdir = sys_open_dir(j->src_dir);
  if (sdir < 0) {
    j->err = -sdir, j->step = "open", j->on_dest = 0, j->failed = AT_DIR;
    return;
  }
  int ddir = sys_open_dir(j->dest_dir);
  if (ddir < 0) {
    sys_close(sdir);
    j->err = -ddir, j->step = "open", j->on_dest = 1, j->failed = AT_DIR;
    return;
  }
  for (size_t i = 0; i < j->n; i++) {
    const double *q = j->params + i * COPY_PARAMS;
    int r = sys_copy_small_at(sdir, ddir, j->names[i], (size_t)q[P_SIZE], (mode_t)q[P_MODE], (uid_t)q[P_UID],
                              (gid_t)q[P_GID], (int)q[P_FLAGS], to_timespec(q[P_MTIME]), &j->data[i], &j->len[i],
                              &j->step, &j->on_dest);
    if (r < 0) {
      j->err = -r, j->failed = i;
      break;
    }
    j->done++;
  }
  sys_close(sdir);
  sys_close(ddir);
}

/* The path a failed job names: the file, or the directory that could not be opened (the destination when
 * nothing failed but the result could not be made). */
static void job_path(const copy_job *j, char *out, size_t len) {
  const char *dir = j->err == 0 || j->on_dest ? j->dest_dir : j->src_dir;
  if (j->err == 0 || j->failed == AT_DIR) snprintf(out, len, "%s", dir);
  else snprintf(out, len, "%s/%s", dir, j->names[j->failed]);
}

/* { data, sizes }: every file's content in one Buffer, one after another, and each one's size. One Buffer per
 * directory rather than per file: each ArrayBuffer is a backing store the garbage collector tracks. */
static napi_value job_result(napi_env env, copy_job *j) {
  size_t total = 0;
  for (size_t i = 0; i < j->n; i++) total += j->len[i];
  napi_value data, sizes_buf, sizes, out;
  void *bytes = NULL, *lens = NULL;
  if (napi_create_buffer(env, total, &bytes, &data) != napi_ok) return NULL;
  if (napi_create_arraybuffer(env, j->n * sizeof(double), &lens, &sizes_buf) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_float64_array, j->n, sizes_buf, 0, &sizes) != napi_ok) return NULL;
  char *at = bytes;
  double *len = lens;
  for (size_t i = 0; i < j->n; i++) {
    if (j->len[i] > 0) memcpy(at, j->data[i], j->len[i]);
    at += j->len[i];
    len[i] = (double)j->len[i];
  }
  if (napi_create_object(env, &out) != napi_ok) return NULL;
  napi_set_named_property(env, out, "data", data);
  napi_set_named_property(env, out, "sizes", sizes);
  return out;
}

static void complete(napi_env env, napi_status status, void *p) {
  copy_job *j = p;
  napi_value out = status == napi_ok && j->err == 0 ? job_result(env, j) : NULL;
  char path[4200];
  job_path(j, path, sizeof path);
  settle_job(env, j->deferred, j->work, out, j->err, j->err != 0 ? j->step : "copy", path);
  job_free(j);
}

napi_value binding_copy_small_files(napi_env env, napi_callback_info info) {
  args_t a;
  napi_value result = NULL;
  if (!args_get(env, info, 4, &a)) return NULL;
  const char *src_dir, *dest_dir;
  char **names = NULL;
  size_t n = 0, np = 0;
  double *p = NULL;
  copy_job *j = NULL;
  if (!arg_str(&a, 0, false, &src_dir) || !arg_str(&a, 1, false, &dest_dir) || !arg_strv(&a, 2, &names, &n) ||
      !arg_f64array(&a, 3, &p, &np))
    goto fail;
  if (np != n * COPY_PARAMS) {
    napi_throw_type_error(env, "EINVAL", "argument 4 must hold 6 numbers per name");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    if (!params_ok(p + i * COPY_PARAMS)) {
      napi_throw_type_error(env, "EINVAL", "argument 4: a size, mode, owner, time or flag out of range");
      goto fail;
    }
  }
  j = calloc(1, sizeof *j);
  if (j == NULL) goto nomem;
  j->names = names, j->n = n;
  names = NULL;
  j->src_dir = strdup(src_dir);
  j->dest_dir = strdup(dest_dir);
  j->params = malloc((n ? n : 1) * COPY_PARAMS * sizeof(double));
  j->data = calloc(n ? n : 1, sizeof *j->data);
  j->len = calloc(n ? n : 1, sizeof *j->len);
  if (j->src_dir == NULL || j->dest_dir == NULL || j->params == NULL || j->data == NULL || j->len == NULL) goto nomem;
  if (n > 0) memcpy(j->params, p, n * COPY_PARAMS * sizeof(double));
  result = queue_job(env, "strata:copySmallFiles", execute, complete, j, &j->deferred, &j->work);
  if (result == NULL) goto fail;
  args_free(&a);
  return result;
nomem:
  throw_errno(env, ENOMEM, "copy", dest_dir, NULL);
fail:
  if (j != NULL) job_free(j);
  strv_free(names, n);
  args_free(&a);
  return NULL;
}
