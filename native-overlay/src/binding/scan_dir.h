/* The context-walk function of the binding (scan_dir.c). */
#ifndef STRATA_BINDING_SCAN_DIR_H
#define STRATA_BINDING_SCAN_DIR_H

#include "args.h"

napi_value binding_lstat_dir(napi_env env, napi_callback_info info);

#endif
