#!/usr/bin/env bash
# Builds strata-unionfs if needed and runs the union filesystem benchmark (root; needs fuse-overlayfs).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x native-overlay/build/bin/strata-unionfs ] || bash scripts/build-native-overlay.sh
exec node benchmarks/unionfs/bench.mjs "$@"
