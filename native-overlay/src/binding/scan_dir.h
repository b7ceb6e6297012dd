/* The context-walk functions of the binding (scan_dir.c). */
#ifndef STRATA_BINDING_SCAN_DIR_H
#define STRATA_BINDING_SCAN_DIR_H

#include "args.h"

napi_value binding_lstat_dir(napi_env env, napi_callback_info info);
napi_value binding_lstat_dir_async(napi_env env, napi_callback_info info);

#endif
