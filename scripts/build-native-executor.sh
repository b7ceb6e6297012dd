#!/usr/bin/env bash
# Builds the executor's native programs and their ASan/UBSan twins (the tests run both):
# packages/executor/native/build/strata-launch (the launcher) and build/strata-zygote (forks launchers for
# Node, see zygote.c), each with a `-asan` twin. Plain gcc, no dependencies beyond libc.
set -euo pipefail
cd "$(dirname "$0")/../packages/executor/native"
flags=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -D_FORTIFY_SOURCE=2)
mkdir -p build

# program NAME SRC...: build/NAME and build/NAME-asan, each only when a source or header is newer than it.
program() {
  local name=$1
  shift
  local srcs=("$@")
  newer() { local out=$1; [ ! -e "$out" ] && return 0; for f in "${srcs[@]}" *.h sys/*.h; do [ "$f" -nt "$out" ] && return 0; done; return 1; }
  if newer "build/$name"; then
    gcc "${flags[@]}" -O2 -o "build/$name.tmp" "${srcs[@]}"
    mv "build/$name.tmp" "build/$name"
  fi
  if newer "build/$name-asan"; then
    gcc "${flags[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
      -U_FORTIFY_SOURCE -o "build/$name-asan.tmp" "${srcs[@]}"
    mv "build/$name-asan.tmp" "build/$name-asan"
  fi
}

program strata-launch main.c spec.c report.c rootfs.c container.c cgroup.c stubs.c pidns.c sys/sys.c
program strata-zygote zygote.c sys/sys.c
