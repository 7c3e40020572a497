#!/usr/bin/env bash
# clang-format-16 over every C++ file we own (.clang-format). `--check` changes nothing and fails
# on the first difference (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp')
if [ "${1:-}" = "--check" ]; then
  clang-format-16 --dry-run -Werror "${files[@]}"
else
  clang-format-16 -i "${files[@]}"
fi
