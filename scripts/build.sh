#!/usr/bin/env bash
# Builds everything: native code (explicitly: npm ci skips binding.gyp builds when a lockfile exists), then
# every package through turbo (`tsc -b` per package in dependency order, outputs cached in .turbo/), then
# the top-level test project.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
for f in scripts/build-native-*.sh; do [ -e "$f" ] && bash "$f"; done
npx turbo run build --output-logs=errors-only
npx tsc -b test
