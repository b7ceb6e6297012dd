#!/usr/bin/env bash
# Push + pull of a ~200 MB image to a local docker-registry: strata against `skopeo copy`, both ways, in one run.
# Everything (registry storage, strata stores, skopeo's OCI layouts) lives on one fresh tmpfs made here and
# removed after. Usage: benchmarks/oci/push-pull.sh [SIZE_MB] [RUNS]   (needs root for the tmpfs; built tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f test/dist/support/registry-server.js ] || npx tsc -b test
mnt=$(mktemp -d /tmp/strata-bench-pushpull.XXXXXX)
mount -t tmpfs -o size=4g tmpfs "$mnt"
trap 'umount "$mnt"; rmdir "$mnt"' EXIT
TMPDIR="$mnt" node benchmarks/oci/push-pull.mjs "${1:-200}" "${2:-5}"
