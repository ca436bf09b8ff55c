#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors, runs the
# unit tests (also under ASan+UBSan) and the integration tests against real servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${JOBS:-2}

scripts/install-deps.sh
scripts/check-format.sh

cmake -S . -B build -DWASME_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

cmake -S . -B build-asan -DWASME_WERROR=ON -DWASME_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" --target $(cd build && ctest -N -L unit | awk '/Test +#/ {print $3}')

echo "== unit tests under ASan+UBSan"
(cd build-asan && ctest -L unit --output-on-failure -j"$jobs")
echo "== unit and integration tests"
(cd build && ctest --output-on-failure -j"$jobs")
