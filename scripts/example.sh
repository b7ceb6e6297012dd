#!/usr/bin/env bash
# The main job: build the example image on the embedded default store, then run it. No daemon, no registry.
# The busybox base image is made offline from Debian's busybox-static the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
strata() { packages/cli/bin/strata "$@"; }
root="${STRATA_ROOT:-/var/lib/strata}"
if ! STRATA_ROOT="$root" strata images 2>/dev/null | grep -q '^busybox\b\|busybox:latest\|^docker.io/library/busybox'; then
  bash fixtures/make-busybox.sh "$root" busybox:latest >/dev/null
fi
STRATA_ROOT="$root" strata build --progress plain -t example:latest fixtures/example
STRATA_ROOT="$root" strata run example:latest
