/* Argument decoding and error throwing shared by the binding's functions (N-API glue, no syscalls). */
#ifndef STRATA_BINDING_ARGS_H
#define STRATA_BINDING_ARGS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_ARGS 6

/* Decoded call arguments; strings are heap copies released by args_free. */
typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  char *strs[MAX_ARGS];
} args_t;

/* Fetches exactly `want` arguments; throws TypeError and returns false otherwise. */
bool args_get(napi_env env, napi_callback_info info, size_t want, args_t *a);
void args_free(args_t *a);
/* String argument i (NULL when it is JS null and nullable); throws TypeError on a wrong type. */
bool arg_str(args_t *a, size_t i, bool nullable, const char **out);
bool arg_u32(args_t *a, size_t i, uint32_t *out);
bool arg_i32(args_t *a, size_t i, int32_t *out);
bool arg_bigint(args_t *a, size_t i, int64_t *out);
/* A Buffer argument: pointer into the Buffer's memory (valid for this call). */
bool arg_buffer(args_t *a, size_t i, void **data, size_t *len);
/* A Float64Array argument: pointer into its memory (valid for this call) and its element count. */
bool arg_f64array(args_t *a, size_t i, double **data, size_t *n);
/* An array of strings: heap copies in *out (free with strv_free). */
bool arg_strv(args_t *a, size_t i, char ***out, size_t *n);
void strv_free(char **v, size_t n);

/* Throws Error("<CODE>: <what> <path>: <strerror>") with .code = errno name and .errno = err. */
void throw_errno(napi_env env, int err, const char *what, const char *path, const char *detail);
/* The same Error, returned (to reject a promise with). */
napi_value errno_error(napi_env env, int err, const char *what, const char *path, const char *detail);

#endif
