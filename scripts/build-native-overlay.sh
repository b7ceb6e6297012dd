#!/usr/bin/env bash
# Builds native-overlay's C: the N-API addon (build/Release/strata_native.node), strata-unionfs
# (build/bin/strata-unionfs) and their ASan/UBSan twins under build/asan/. Plain make + gcc against
# /usr/include/node and Debian's libfuse3: no node-gyp, no network.
set -euo pipefail
cd "$(dirname "$0")/../native-overlay"
jobs=$(nproc 2>/dev/null || echo 2)
make -s -j"$jobs" all
make -s -j"$jobs" asan
