#!/usr/bin/env bash
# Installs everything strata and its tests need on Debian 12 (as root), then builds it.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node.js 20+ comes with the machine (Debian 12's own nodejs is 18, too old for this tree).
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null || {
  echo "setup: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
APT_PACKAGES=(
  build-essential pkg-config python3 git ca-certificates
  libfuse3-dev fuse3 fuse-overlayfs libcap-dev
  busybox-static runc crun skopeo umoci docker-registry apache2-utils openssh-server
  pigz zstd xz-utils bzip2 iproute2 hyperfine chromium file time docker.io
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian's docker-registry starts a system service on install; tests start their own on free ports.
systemctl disable --now docker-registry >/dev/null 2>&1 || true
# Unprivileged FUSE mounts (strata-unionfs through fusermount3) need /dev/fuse open to all, as systemd's udev
# rule (50-udev-default.rules: KERNEL=="fuse", MODE="0666") makes it on a standard Debian; machines without
# udevd keep the kernel's 0600.
if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then chmod 0666 /dev/fuse; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/build.sh
ln -sf "$PWD/packages/cli/bin/strata" /usr/local/bin/strata
chmod +x packages/cli/bin/strata
echo "setup: done ($(packages/cli/bin/strata --version))"
