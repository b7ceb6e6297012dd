/* lstatDir(path[, xattrs]) → { names: string[], stats: BigInt64Array, keys: string[][, xattrBytes: Int32Array] }:
 * one call per directory of a context walk or an upper-dir diff. stats holds STAT_FIELDS values per entry, in
 * the order lib/index.ts documents (DIR_STAT_FIELDS); keys[i] is "dev:ino:size:mtime_ns:ctime_ns", the identity
 * a stat index compares (made here: five bigint-to-string conversions per file in JS cost more than the walk).
 * With xattrs true, xattrBytes[i] is the size of entry i's xattr name list (0: none; -1: unknown), so a differ
 * asks for the xattrs of only the entries that have some. lstatDirAsync(path[, xattrs]) → a Promise of the same:
 * the syscalls run on the libuv thread pool, so a walk scans several directories at once. */
#include "args.h"
#include "async_job.h"
#include "scan_dir.h"
#include "../sys/scan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_MODE, F_UID, F_GID, F_SIZE, F_DEV, F_INO, F_RDEV, F_MTIME, F_CTIME, F_NLINK, STAT_FIELDS };

static int64_t ns(struct timespec t) {
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The JS result for a scanned directory, or NULL with an exception pending. */
static napi_value scan_result(napi_env env, const sys_scan_entry *v, size_t n, bool xattrs) {
  napi_value names, keys, buf, stats, result;
  void *data = NULL;
  if (napi_create_array_with_length(env, n, &names) != napi_ok) return NULL;
  if (napi_create_array_with_length(env, n, &keys) != napi_ok) return NULL;
  if (napi_create_arraybuffer(env, n * STAT_FIELDS * sizeof(int64_t), &data, &buf) != napi_ok) return NULL;
  int64_t *f = data;
  for (size_t i = 0; i < n; i++) {
    napi_value s;
    if (napi_create_string_utf8(env, v[i].name, NAPI_AUTO_LENGTH, &s) != napi_ok) return NULL;
    napi_set_element(env, names, (uint32_t)i, s);
    const struct stat *st = &v[i].st;
    int64_t *e = f + i * STAT_FIELDS;
    e[F_MODE] = st->st_mode;
    e[F_UID] = st->st_uid;
    e[F_GID] = st->st_gid;
    e[F_SIZE] = st->st_size;
    e[F_DEV] = (int64_t)st->st_dev;
    e[F_INO] = (int64_t)st->st_ino;
    e[F_RDEV] = (int64_t)st->st_rdev;
    e[F_MTIME] = ns(st->st_mtim);
    e[F_CTIME] = ns(st->st_ctim);
    e[F_NLINK] = (int64_t)st->st_nlink;
    char key[112];
    int len = snprintf(key, sizeof key, "%" PRIu64 ":%" PRIu64 ":%" PRId64 ":%" PRId64 ":%" PRId64, (uint64_t)st->st_dev,
                       (uint64_t)st->st_ino, (int64_t)st->st_size, e[F_MTIME], e[F_CTIME]);
    napi_value k;
    if (len < 0 || napi_create_string_latin1(env, key, (size_t)len, &k) != napi_ok) return NULL;
    napi_set_element(env, keys, (uint32_t)i, k);
  }
  if (napi_create_typedarray(env, napi_bigint64_array, n * STAT_FIELDS, buf, 0, &stats) != napi_ok) return NULL;
  napi_value xbytes = NULL;
  if (xattrs) {
    napi_value xbuf;
    void *xdata = NULL;
    if (napi_create_arraybuffer(env, n * sizeof(int32_t), &xdata, &xbuf) != napi_ok) return NULL;
    int32_t *x = xdata;
    for (size_t i = 0; i < n; i++) x[i] = v[i].xattr_bytes > INT32_MAX ? INT32_MAX : (int32_t)v[i].xattr_bytes;
    if (napi_create_typedarray(env, napi_int32_array, n, xbuf, 0, &xbytes) != napi_ok) return NULL;
  }
  if (napi_create_object(env, &result) != napi_ok) return NULL;
  napi_set_named_property(env, result, "names", names);
  napi_set_named_property(env, result, "stats", stats);
  napi_set_named_property(env, result, "keys", keys);
  if (xbytes != NULL) napi_set_named_property(env, result, "xattrBytes", xbytes);
  return result;
}

/* The path and the optional xattrs flag of lstatDir and lstatDirAsync; false with an exception pending. */
static bool scan_args(napi_env env, args_t *a, const char **path, bool *xattrs) {
  if (!arg_str(a, 0, false, path)) return false;
  *xattrs = false;
  if (a->argc > 1 && napi_get_value_bool(env, a->argv[1], xattrs) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "argument 2 must be a boolean");
    return false;
  }
  return true;
}

napi_value binding_lstat_dir(napi_env env, napi_callback_info info) {
  args_t a;
  napi_value result = NULL;
  if (!args_get(env, info, 1, &a)) return NULL;
  const char *path;
  bool xattrs;
  sys_scan_entry *v = NULL;
  size_t n = 0;
  if (scan_args(env, &a, &path, &xattrs)) {
    int r = sys_scan_dir(path, xattrs, &v, &n);
    if (r < 0) throw_errno(env, -r, "scandir", path, NULL);
    else result = scan_result(env, v, n, xattrs);
  }
  sys_scan_free(v, n);
  args_free(&a);
  return result;
}

/* lstatDirAsync: the same scan on a pool thread (the syscalls), the result made back on the main thread. */
typedef struct {
  char *path;
  bool xattrs;
  sys_scan_entry *v;
  size_t n;
  int err;
  napi_deferred deferred;
  napi_async_work work;
} scan_job;

static void scan_execute(napi_env env, void *p) {
  (void)env;
  scan_job *j = p;
  int r = sys_scan_dir(j->path, j->xattrs, &j->v, &j->n);
  j->err = r < 0 ? -r : 0;
}

static void scan_complete(napi_env env, napi_status status, void *p) {
  scan_job *j = p;
  napi_value out = status == napi_ok && j->err == 0 ? scan_result(env, j->v, j->n, j->xattrs) : NULL;
  settle_job(env, j->deferred, j->work, out, j->err, "scandir", j->path);
  sys_scan_free(j->v, j->n);
  free(j->path);
  free(j);
}

napi_value binding_lstat_dir_async(napi_env env, napi_callback_info info) {
  args_t a;
  napi_value result = NULL;
  if (!args_get(env, info, 1, &a)) return NULL;
  const char *path;
  bool xattrs;
  scan_job *j = NULL;
  if (!scan_args(env, &a, &path, &xattrs)) goto done;
  j = calloc(1, sizeof *j);
  if (j == NULL || (j->path = strdup(path)) == NULL) {
    throw_errno(env, ENOMEM, "scandir", path, NULL);
    goto done;
  }
  j->xattrs = xattrs;
  result = queue_job(env, "strata:lstatDirAsync", scan_execute, scan_complete, j, &j->deferred, &j->work);
  if (result != NULL) j = NULL; /* the job is the pool's now */
done:
  if (j != NULL) {
    free(j->path);
    free(j);
  }
  args_free(&a);
  return result;
}
