/* The small-file copy function of the binding (copy_files.c). */
#ifndef STRATA_BINDING_COPY_FILES_H
#define STRATA_BINDING_COPY_FILES_H

#include "args.h"

napi_value binding_copy_small_files(napi_env env, napi_callback_info info);

#endif
