#!/usr/bin/env bash
# Installs exactly the Debian 12 packages the build and tests need; skips what is already there.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config ccache libboost-dev libssl-dev libcrypto++-dev
      nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libgtest-dev libgmock-dev
      libbenchmark-dev libsimdjson-dev libmozjs-102-dev libmimalloc-dev
      clang-16 libclang-rt-16-dev  # the sanitizer and fuzzer tree (scripts/sanitize.sh)
      clang-format-16)             # scripts/format.sh --check
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
