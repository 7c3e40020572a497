#!/usr/bin/env bash
# Each folder of bridge/ may include only itself and the folders below it (the order of
# bridge/CMakeLists.txt); lorawan/ includes nothing of ours but itself. Prints each violation.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=(core http store gateway network platform api tools app)
bad=0
for i in "${!layers[@]}"; do
  allowed=("${layers[@]:0:$((i + 1))}")
  while IFS=: read -r file _ inc; do
    dep=$(sed -E 's#.*"bridge/([a-z_]+)/.*#\1#' <<<"$inc")
    if [[ ! " ${allowed[*]} " == *" $dep "* ]]; then
      echo "$file: ${layers[$i]}/ must not include bridge/$dep/ (a folder above it)"
      bad=1
    fi
  done < <(grep -Hn '#include "bridge/' bridge/"${layers[$i]}"/*.?pp || true)
done
if grep -Hn -E '#include "(bridge|codecs|config)/' lorawan -r; then
  echo "lorawan/ is pure: it includes nothing of the daemon"
  bad=1
fi
exit $bad
