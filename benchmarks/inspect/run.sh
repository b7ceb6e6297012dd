#!/usr/bin/env bash
# strata analyze and strata diff on a ~1 GB, ~100,000-file, 10-layer image (and a rebuild of it), against
# the floor of reading the same layers (`cat blobs | gzip -dc | tar -t`), in one run. The images are made on
# a fresh tmpfs created here and removed after, so every contender reads from memory.
# Usage: benchmarks/inspect/run.sh [FILES] [RUNS]   (needs root for the tmpfs and a built tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f packages/cli/dist/bundle/bin.js ] || (npx tsc -b packages/cli && node packages/cli/bundle.mjs)
mnt=$(mktemp -d /tmp/strata-bench-inspect.XXXXXX)
mount -t tmpfs -o size=5g tmpfs "$mnt"
trap 'umount "$mnt"; rmdir "$mnt"' EXIT
echo "generating images in $mnt (not timed)..."
node benchmarks/inspect/gen.mjs "$mnt/img" "${1:-100000}" 10
node benchmarks/inspect/bench.mjs "$mnt/img" "${2:-3}"
