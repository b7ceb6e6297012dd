#define _GNU_SOURCE
#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool args_get(napi_env env, napi_callback_info info, size_t want, args_t *a) {
  memset(a, 0, sizeof *a);
  a->env = env;
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return false;
  if (a->argc < want) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, a->argc);
    napi_throw_type_error(env, "EINVAL", msg);
    return false;
  }
  return true;
}

void args_free(args_t *a) {
  for (size_t i = 0; i < MAX_ARGS; i++) free(a->strs[i]);
}

static bool type_error(args_t *a, size_t i, const char *want) {
  char msg[128];
  snprintf(msg, sizeof msg, "argument %zu must be %s", i + 1, want);
  napi_throw_type_error(a->env, "EINVAL", msg);
  return false;
}

static char *copy_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) { free(s); return NULL; }
  if (strlen(s) != len) { free(s); return NULL; } /* an embedded NUL would silently truncate a path */
  return s;
}

bool arg_str(args_t *a, size_t i, bool nullable, const char **out) {
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  if (nullable && (t == napi_null || t == napi_undefined)) { *out = NULL; return true; }
  if (t != napi_string) return type_error(a, i, nullable ? "a string or null" : "a string");
  a->strs[i] = copy_string(a->env, a->argv[i]);
  if (!a->strs[i]) return type_error(a, i, "a string without NUL bytes");
  *out = a->strs[i];
  return true;
}

bool arg_u32(args_t *a, size_t i, uint32_t *out) {
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  if (t != napi_number) return type_error(a, i, "a number");
  double d;
  napi_get_value_double(a->env, a->argv[i], &d);
  if (d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d) return type_error(a, i, "an unsigned 32-bit integer");
  *out = (uint32_t)d;
  return true;
}

bool arg_i32(args_t *a, size_t i, int32_t *out) {
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  if (t != napi_number) return type_error(a, i, "a number");
  double d;
  napi_get_value_double(a->env, a->argv[i], &d);
  if (d < -2147483648.0 || d > 2147483647.0 || d != (double)(int32_t)d) return type_error(a, i, "a 32-bit integer");
  *out = (int32_t)d;
  return true;
}

bool arg_bigint(args_t *a, size_t i, int64_t *out) {
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  if (t == napi_number) {
    double d;
    napi_get_value_double(a->env, a->argv[i], &d);
    if (d != d || d > 9.2e18 || d < -9.2e18) return type_error(a, i, "a finite time");
    *out = (int64_t)d;
    return true;
  }
  if (t != napi_bigint) return type_error(a, i, "a bigint");
  bool lossless;
  napi_get_value_bigint_int64(a->env, a->argv[i], out, &lossless);
  if (!lossless) return type_error(a, i, "a bigint within 64 bits");
  return true;
}

bool arg_f64array(args_t *a, size_t i, double **data, size_t *n) {
  bool is;
  napi_is_typedarray(a->env, a->argv[i], &is);
  if (!is) return type_error(a, i, "a Float64Array");
  napi_typedarray_type t;
  void *p;
  napi_get_typedarray_info(a->env, a->argv[i], &t, n, &p, NULL, NULL);
  if (t != napi_float64_array) return type_error(a, i, "a Float64Array");
  *data = p;
  return true;
}

bool arg_buffer(args_t *a, size_t i, void **data, size_t *len) {
  bool is;
  napi_is_buffer(a->env, a->argv[i], &is);
  if (!is) return type_error(a, i, "a Buffer");
  napi_get_buffer_info(a->env, a->argv[i], data, len);
  return true;
}

void strv_free(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

bool arg_strv(args_t *a, size_t i, char ***out, size_t *n) {
  bool is;
  napi_is_array(a->env, a->argv[i], &is);
  if (!is) return type_error(a, i, "an array of strings");
  uint32_t len;
  napi_get_array_length(a->env, a->argv[i], &len);
  char **v = calloc(len + 1, sizeof *v);
  if (!v) return type_error(a, i, "a smaller array");
  for (uint32_t k = 0; k < len; k++) {
    napi_value e;
    napi_valuetype t;
    napi_get_element(a->env, a->argv[i], k, &e);
    napi_typeof(a->env, e, &t);
    if (t != napi_string || !(v[k] = copy_string(a->env, e))) {
      strv_free(v, k);
      return type_error(a, i, "an array of strings without NUL bytes");
    }
  }
  *out = v;
  *n = len;
  return true;
}

void throw_errno(napi_env env, int err, const char *what, const char *path, const char *detail) {
  napi_throw(env, errno_error(env, err, what, path, detail));
}

napi_value errno_error(napi_env env, int err, const char *what, const char *path, const char *detail) {
  const char *name = strerrorname_np(err);
  char code[32];
  if (!name) { snprintf(code, sizeof code, "E%d", err); name = code; }
  char msg[4200];
  snprintf(msg, sizeof msg, "%s: %s %s: %s%s%s", name, what, path ? path : "", strerror(err),
           detail && *detail ? " (" : "", detail && *detail ? detail : "");
  if (detail && *detail) strncat(msg, ")", sizeof msg - strlen(msg) - 1);
  napi_value jmsg, jcode, jerr, jerrno, jsys;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &jcode);
  napi_create_error(env, jcode, jmsg, &jerr);
  napi_create_int32(env, err, &jerrno);
  napi_set_named_property(env, jerr, "errno", jerrno);
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &jsys);
  napi_set_named_property(env, jerr, "syscall", jsys);
  if (path) {
    napi_value jpath;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &jpath);
    napi_set_named_property(env, jerr, "path", jpath);
  }
  return jerr;
}
