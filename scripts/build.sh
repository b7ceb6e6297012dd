#!/usr/bin/env bash
# Builds everything: native code (explicitly: npm ci skips binding.gyp builds when a lockfile exists),
# then all TypeScript through turbo (which runs tsc -b per package in dependency order).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
for f in scripts/build-native-*.sh; do [ -e "$f" ] && bash "$f"; done
npx tsc -b
