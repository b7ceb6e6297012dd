/* The N-API surface declared by lib/index.ts (NativeBinding). Glue only: every syscall is in ../sys. */
#include "args.h"
#include "copy_files.h"
#include "scan_dir.h"
#include "../sys/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define BEGIN(n)                                   \
  args_t a;                                        \
  napi_value result = NULL;                        \
  if (!args_get(env, info, (n), &a)) return NULL;
#define END          \
  done:              \
  args_free(&a);     \
  return result;
#define NEED(x) \
  if (!(x)) goto done;

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value mount_overlay(napi_env env, napi_callback_info info) {
  BEGIN(5);
  const char *target, *upper, *work;
  char **lowers = NULL, **extra = NULL;
  size_t nl = 0, ne = 0;
  NEED(arg_str(&a, 0, false, &target) && arg_strv(&a, 1, &lowers, &nl) && arg_str(&a, 2, true, &upper) &&
       arg_str(&a, 3, true, &work) && arg_strv(&a, 4, &extra, &ne));
  char msg[512];
  int r = sys_mount_overlay(target, (const char *const *)lowers, nl, upper, work, (const char *const *)extra, ne,
                            msg, sizeof msg);
  if (r < 0) throw_errno(env, -r, "mount overlay", target, msg);
  else result = undefined(env);
  strv_free(lowers, nl);
  strv_free(extra, ne);
  END
}

static napi_value unmount(napi_env env, napi_callback_info info) {
  BEGIN(2);
  const char *target;
  int32_t flags;
  NEED(arg_str(&a, 0, false, &target) && arg_i32(&a, 1, &flags));
  int r = sys_umount(target, flags);
  if (r < 0) throw_errno(env, -r, "umount", target, NULL);
  else result = undefined(env);
  END
}

static napi_value mk_whiteout(napi_env env, napi_callback_info info) {
  BEGIN(1);
  const char *path;
  NEED(arg_str(&a, 0, false, &path));
  int r = sys_mknod(path, S_IFCHR | 0000, 0, 0);
  if (r < 0) throw_errno(env, -r, "mknod whiteout", path, NULL);
  else result = undefined(env);
  END
}

static napi_value do_mknod(napi_env env, napi_callback_info info) {
  BEGIN(4);
  const char *path;
  uint32_t mode, major, minor;
  NEED(arg_str(&a, 0, false, &path) && arg_u32(&a, 1, &mode) && arg_u32(&a, 2, &major) && arg_u32(&a, 3, &minor));
  int r = sys_mknod(path, (mode_t)mode, major, minor);
  if (r < 0) throw_errno(env, -r, "mknod", path, NULL);
  else result = undefined(env);
  END
}

static napi_value get_xattr(napi_env env, napi_callback_info info) {
  BEGIN(2);
  const char *path, *name;
  NEED(arg_str(&a, 0, false, &path) && arg_str(&a, 1, false, &name));
  for (int attempt = 0; attempt < 8; attempt++) { /* the value may grow between sizing and reading */
    ssize_t n = sys_lgetxattr(path, name, NULL, 0);
    if (n == -ENODATA) { napi_get_null(env, &result); break; }
    if (n < 0) { throw_errno(env, (int)-n, "getxattr", path, name); break; }
    void *data;
    napi_value buf;
    napi_create_buffer(env, (size_t)n, &data, &buf);
    ssize_t m = n ? sys_lgetxattr(path, name, data, (size_t)n) : 0;
    if (m == -ERANGE) continue;
    if (m == -ENODATA) { napi_get_null(env, &result); break; }
    if (m < 0) { throw_errno(env, (int)-m, "getxattr", path, name); break; }
    if (m < n) napi_create_buffer_copy(env, (size_t)m, data, NULL, &buf);
    result = buf;
    break;
  }
  if (!result) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_errno(env, ERANGE, "getxattr", path, name);
  }
  END
}

static napi_value set_xattr(napi_env env, napi_callback_info info) {
  BEGIN(4);
  const char *path, *name;
  void *data;
  size_t len;
  int32_t flags;
  NEED(arg_str(&a, 0, false, &path) && arg_str(&a, 1, false, &name) && arg_buffer(&a, 2, &data, &len) &&
       arg_i32(&a, 3, &flags));
  int r = sys_lsetxattr(path, name, data, len, flags);
  if (r < 0) throw_errno(env, -r, "setxattr", path, name);
  else result = undefined(env);
  END
}

static napi_value list_xattr(napi_env env, napi_callback_info info) {
  BEGIN(1);
  const char *path;
  NEED(arg_str(&a, 0, false, &path));
  for (int attempt = 0; attempt < 8 && !result; attempt++) {
    ssize_t n = sys_llistxattr(path, NULL, 0);
    if (n < 0) { throw_errno(env, (int)-n, "listxattr", path, NULL); goto done; }
    char *buf = malloc((size_t)n + 1);
    if (!buf) { throw_errno(env, ENOMEM, "listxattr", path, NULL); goto done; }
    ssize_t m = n ? sys_llistxattr(path, buf, (size_t)n) : 0;
    if (m == -ERANGE) { free(buf); continue; }
    if (m < 0) { free(buf); throw_errno(env, (int)-m, "listxattr", path, NULL); goto done; }
    napi_create_array(env, &result);
    uint32_t k = 0;
    for (ssize_t at = 0; at < m;) {
      size_t l = strnlen(buf + at, (size_t)(m - at));
      napi_value s;
      napi_create_string_utf8(env, buf + at, l, &s);
      napi_set_element(env, result, k++, s);
      at += (ssize_t)l + 1;
    }
    free(buf);
  }
  if (!result) throw_errno(env, ERANGE, "listxattr", path, NULL);
  END
}

static napi_value remove_xattr(napi_env env, napi_callback_info info) {
  BEGIN(2);
  const char *path, *name;
  NEED(arg_str(&a, 0, false, &path) && arg_str(&a, 1, false, &name));
  int r = sys_lremovexattr(path, name);
  if (r < 0) throw_errno(env, -r, "removexattr", path, name);
  else result = undefined(env);
  END
}

static napi_value rename2(napi_env env, napi_callback_info info) {
  BEGIN(3);
  const char *from, *to;
  uint32_t flags;
  NEED(arg_str(&a, 0, false, &from) && arg_str(&a, 1, false, &to) && arg_u32(&a, 2, &flags));
  int r = sys_renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
  if (r < 0) throw_errno(env, -r, "renameat2", from, to);
  else result = undefined(env);
  END
}

static napi_value clone_file(napi_env env, napi_callback_info info) {
  BEGIN(2);
  const char *src, *dst;
  NEED(arg_str(&a, 0, false, &src) && arg_str(&a, 1, false, &dst));
  int r = sys_clone_file(src, dst);
  if (r < 0) throw_errno(env, -r, "clone", src, dst);
  else napi_get_boolean(env, r == 1, &result);
  END
}

static void set_big(napi_env env, napi_value obj, const char *key, int64_t v) {
  napi_value x;
  napi_create_bigint_int64(env, v, &x);
  napi_set_named_property(env, obj, key, x);
}

static void set_u32(napi_env env, napi_value obj, const char *key, uint32_t v) {
  napi_value x;
  napi_create_uint32(env, v, &x);
  napi_set_named_property(env, obj, key, x);
}

static int64_t ns(struct timespec t) {
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static napi_value lstat_ns(napi_env env, napi_callback_info info) {
  BEGIN(1);
  const char *path;
  NEED(arg_str(&a, 0, false, &path));
  struct stat st;
  int r = sys_lstat(path, &st);
  if (r < 0) { throw_errno(env, -r, "lstat", path, NULL); goto done; }
  napi_create_object(env, &result);
  set_big(env, result, "dev", (int64_t)st.st_dev);
  set_big(env, result, "ino", (int64_t)st.st_ino);
  set_u32(env, result, "mode", st.st_mode);
  set_u32(env, result, "nlink", (uint32_t)st.st_nlink);
  set_u32(env, result, "uid", st.st_uid);
  set_u32(env, result, "gid", st.st_gid);
  set_big(env, result, "rdev", (int64_t)st.st_rdev);
  set_big(env, result, "size", (int64_t)st.st_size);
  set_big(env, result, "atimeNs", ns(st.st_atim));
  set_big(env, result, "mtimeNs", ns(st.st_mtim));
  set_big(env, result, "ctimeNs", ns(st.st_ctim));
  END
}

static napi_value do_lchown(napi_env env, napi_callback_info info) {
  BEGIN(3);
  const char *path;
  uint32_t uid, gid;
  NEED(arg_str(&a, 0, false, &path) && arg_u32(&a, 1, &uid) && arg_u32(&a, 2, &gid));
  int r = sys_lchown(path, uid, gid);
  if (r < 0) throw_errno(env, -r, "lchown", path, NULL);
  else result = undefined(env);
  END
}

static napi_value lutimes_ns(napi_env env, napi_callback_info info) {
  BEGIN(3);
  const char *path;
  int64_t at, mt;
  NEED(arg_str(&a, 0, false, &path) && arg_bigint(&a, 1, &at) && arg_bigint(&a, 2, &mt));
  int r = sys_lutimens(path, at, mt);
  if (r < 0) throw_errno(env, -r, "utimensat", path, NULL);
  else result = undefined(env);
  END
}

static napi_value do_syncfs(napi_env env, napi_callback_info info) {
  BEGIN(1);
  const char *path;
  NEED(arg_str(&a, 0, false, &path));
  int r = sys_syncfs_path(path);
  if (r < 0) throw_errno(env, -r, "syncfs", path, NULL);
  else result = undefined(env);
  END
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    {"mountOverlay", NULL, mount_overlay, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unmount", NULL, unmount, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mkWhiteout", NULL, mk_whiteout, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mknod", NULL, do_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getXattr", NULL, get_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setXattr", NULL, set_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"listXattr", NULL, list_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"removeXattr", NULL, remove_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rename2", NULL, rename2, NULL, NULL, NULL, napi_enumerable, NULL},
    {"cloneFile", NULL, clone_file, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lstatNs", NULL, lstat_ns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lstatDir", NULL, binding_lstat_dir, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lstatDirAsync", NULL, binding_lstat_dir_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"copySmallFiles", NULL, binding_copy_small_files, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lchown", NULL, do_lchown, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lutimesNs", NULL, lutimes_ns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"syncfs", NULL, do_syncfs, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
