#!/usr/bin/env bash
# Start-to-exit of `true` in a busybox rootfs: strata's launcher against `crun run` and `runc run` on the
# same rootfs, same tmpfs, same run. Prints medians and ratios. Usage: benchmarks/executor/run.sh [RUNS]
#
# The whole benchmark runs in a private mount namespace. In it, the cgroup2 mount at /sys/fs/cgroup/unified
# is unmounted when present: on hybrid hosts it carries a controller and crun refuses to start ("cgroups in
# hybrid mode not supported"). All three contenders then use the same cgroup v1 hierarchies.
set -euo pipefail
RUNS=${1:-200}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ "${STRATA_BENCH_INNER:-}" != 1 ]; then
  bash "$repo/scripts/build-native-executor.sh"
  (cd "$repo" && npx tsc -b packages/executor)
  exec unshare -m --propagation private env STRATA_BENCH_INNER=1 bash "$0" "$@"
fi
for t in crun runc hyperfine busybox; do command -v "$t" >/dev/null || { echo "benchmark needs $t" >&2; exit 1; }; done
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi

dir=$(mktemp -d /tmp/strata-bench-executor-XXXXXX)
cleanup() { umount "$dir" 2>/dev/null || true; rmdir "$dir"; }
trap cleanup EXIT
mount -t tmpfs -o size=64m tmpfs "$dir"
mkdir -p "$dir/bundle/rootfs/bin" "$dir/bundle/rootfs/etc" "$dir/etc-files"
cp "$(command -v busybox)" "$dir/bundle/rootfs/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$dir/bundle/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$dir/bundle/rootfs/etc/passwd"
printf 'root:x:0:\n' > "$dir/bundle/rootfs/etc/group"

# One OCI bundle for crun and runc: `crun spec`'s default (new pid, net, ipc, uts, mount namespaces: network
# none), no terminal, running /bin/true.
(cd "$dir/bundle" && crun spec)
node -e '
const fs = require("fs"); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f, "utf8"));
c.process.terminal = false; c.process.args = ["/bin/true"]; fs.writeFileSync(f, JSON.stringify(c, null, 2));
' "$dir/bundle/config.json"

# strata's launch spec, encoded by the executor's own encoder, as Executor.run would send it (generated
# /etc files bind-mounted, a step cgroup) and once without the cgroup (matching crun's cgroups=disabled).
node --input-type=module -e '
import { writeFileSync } from "node:fs";
const { encodeSpec } = await import(process.argv[1]);
const { hostsFile } = await import(process.argv[2]);
const dir = process.argv[3];
writeFileSync(`${dir}/etc-files/hosts`, hostsFile("bench"));
writeFileSync(`${dir}/etc-files/resolv.conf`, "");
writeFileSync(`${dir}/etc-files/hostname`, "bench\n");
const mounts = ["hosts", "resolv.conf", "hostname"].map((n) => ({ type: "bind", source: `${dir}/etc-files/${n}`, target: `/etc/${n}` }));
const base = { rootfs: `${dir}/bundle/rootfs`, argv: ["/bin/true"], env: ["PATH=/bin"], cwd: "/", uid: 0, gid: 0, groups: [0], hostname: "bench", network: "none", mounts };
writeFileSync(`${dir}/spec-cgroup`, encodeSpec({ ...base, cgroup: `strata-bench-${process.pid}` }));
writeFileSync(`${dir}/spec-nocgroup`, encodeSpec(base));
' "$repo/packages/executor/dist/src/launcher.js" "$repo/packages/executor/dist/src/etc-files.js" "$dir"

launch="$repo/packages/executor/native/build/strata-launch"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$dir/result.json" \
  -n strata "$launch --spec $dir/spec-cgroup" \
  -n crun "crun run -b $dir/bundle strata-bench-crun" \
  -n runc "runc run -b $dir/bundle strata-bench-runc" \
  -n strata-no-cgroup "$launch --spec $dir/spec-nocgroup" \
  -n crun-no-cgroup "crun --cgroup-manager=disabled run -b $dir/bundle strata-bench-crun2" >/dev/null

node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const med = Object.fromEntries(r.map((x) => [x.command, x.median * 1000]));
console.log(`start-to-exit of /bin/true, ${r[0].times.length} runs each (median ms)`);
for (const [k, v] of Object.entries(med)) console.log(`  ${k.padEnd(18)} ${v.toFixed(2)}`);
console.log(`ratio strata/crun            ${(med.strata / med.crun).toFixed(2)}  (target <= 1.00)`);
console.log(`ratio strata/runc            ${(med.strata / med.runc).toFixed(2)}`);
console.log(`ratio no-cgroup strata/crun  ${(med["strata-no-cgroup"] / med["crun-no-cgroup"]).toFixed(2)}`);
' "$dir/result.json"
