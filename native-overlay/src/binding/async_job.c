/* queue_job and settle_job: the promise side of the binding's thread-pool functions (lstatDirAsync,
 * copySmallFiles). No syscalls here. */
#include "async_job.h"

#include <errno.h>

napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete,
                     void *data, napi_deferred *deferred, napi_async_work *work) {
  napi_value promise, jname;
  if (napi_create_promise(env, deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &jname) != napi_ok ||
      napi_create_async_work(env, NULL, jname, execute, complete, data, work) != napi_ok)
    return NULL;
  if (napi_queue_async_work(env, *work) != napi_ok) {
    napi_delete_async_work(env, *work);
    return NULL;
  }
  return promise;
}

void settle_job(napi_env env, napi_deferred deferred, napi_async_work work, napi_value out, int err, const char *what,
                const char *path) {
  if (out != NULL) {
    napi_resolve_deferred(env, deferred, out);
  } else {
    bool pending = false;
    napi_value e = NULL;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &e);
    if (e == NULL) e = errno_error(env, err != 0 ? err : EIO, what, path, NULL);
    napi_reject_deferred(env, deferred, e);
  }
  napi_delete_async_work(env, work);
}
