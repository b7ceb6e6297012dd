/* Running a binding function's syscalls on the libuv thread pool and settling its promise (N-API glue). */
#ifndef STRATA_BINDING_ASYNC_JOB_H
#define STRATA_BINDING_ASYNC_JOB_H

#include "args.h"

/* Queues `execute` on the thread pool and `complete` after it on the main thread, both given `data`. Returns
 * the promise that complete settles with settle_job, or NULL with an exception pending (then nothing was
 * queued and `data` is still the caller's). */
napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete,
                     void *data, napi_deferred *deferred, napi_async_work *work);

/* From a job's complete callback: resolves its promise with `out`, or when `out` is NULL rejects it with the
 * exception a failed N-API call left pending, else with the errno error (`err`, EIO when 0) of `what` on
 * `path`. Then deletes the work. */
void settle_job(napi_env env, napi_deferred deferred, napi_async_work work, napi_value out, int err, const char *what,
                const char *path);

#endif
