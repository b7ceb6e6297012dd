#!/usr/bin/env bash
# Layer write: strata tar+gzip (both cores) and tar+zstd against tar|gzip -6, tar|pigz -6, tar|zstd -3 on one
# ~200 MB tree of mixed files. Everything lives on a fresh tmpfs made here and removed after, so no contender
# pays for the root disk. Usage: benchmarks/oci/compress.sh [SIZE_MB] [ROUNDS]  (root for the tmpfs; built tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f packages/oci/dist/src/index.js ] || npx tsc -b packages/oci
mnt=$(mktemp -d /tmp/strata-bench-compress.XXXXXX)
mount -t tmpfs -o size=3g tmpfs "$mnt"
trap 'umount "$mnt"; rmdir "$mnt"' EXIT
node benchmarks/oci/compress.mjs "$mnt" "${1:-200}" "${2:-3}"
