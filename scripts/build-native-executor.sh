#!/usr/bin/env bash
# Builds the executor's launcher: packages/executor/native/build/strata-launch and its ASan/UBSan twin
# build/strata-launch-asan (the tests run both). Plain gcc, no dependencies beyond libc.
set -euo pipefail
cd "$(dirname "$0")/../packages/executor/native"
srcs=(main.c spec.c report.c rootfs.c container.c cgroup.c stubs.c pidns.c sys/sys.c)
flags=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -D_FORTIFY_SOURCE=2)
mkdir -p build
newer() { local out=$1; [ ! -e "$out" ] && return 0; for f in "${srcs[@]}" *.h sys/*.h; do [ "$f" -nt "$out" ] && return 0; done; return 1; }
if newer build/strata-launch; then
  gcc "${flags[@]}" -O2 -o build/strata-launch.tmp "${srcs[@]}"
  mv build/strata-launch.tmp build/strata-launch
fi
if newer build/strata-launch-asan; then
  gcc "${flags[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -U_FORTIFY_SOURCE -o build/strata-launch-asan.tmp "${srcs[@]}"
  mv build/strata-launch-asan.tmp build/strata-launch-asan
fi
# strata-zygote: forks launchers for Node (see zygote.c); same flags, its own ASan twin.
zsrcs=(zygote.c sys/sys.c)
znewer() { local out=$1; [ ! -e "$out" ] && return 0; for f in "${zsrcs[@]}" sys/*.h; do [ "$f" -nt "$out" ] && return 0; done; return 1; }
if znewer build/strata-zygote; then
  gcc "${flags[@]}" -O2 -o build/strata-zygote.tmp "${zsrcs[@]}"
  mv build/strata-zygote.tmp build/strata-zygote
fi
if znewer build/strata-zygote-asan; then
  gcc "${flags[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -U_FORTIFY_SOURCE -o build/strata-zygote-asan.tmp "${zsrcs[@]}"
  mv build/strata-zygote-asan.tmp build/strata-zygote-asan
fi
