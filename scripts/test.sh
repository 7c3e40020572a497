#!/usr/bin/env bash
# Installs what the build needs (Debian 12), builds everything and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Cheap checks first: the formatting and the folders' layering.
./scripts/format.sh --check
./scripts/check-layers.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLB_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" --timeout 300
cd ..
# The same tests under ASan + UBSan, then every fuzz target for a short budget.
[ "${SKIP_SANITIZE:-0}" = 1 ] || ./scripts/sanitize.sh
