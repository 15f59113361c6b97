#!/usr/bin/env bash
# quality.sh: the dieharder suite (meson suite "quality") on a release build: >= 1 GiB of p = 0.5 masks and more.
#   bash .ci/quality.sh
set -euo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

need_pkgs "${BASE_PKGS[@]}" dieharder
echo "== quality: build ($(elapsed))"
# (no SIMDe twins: the masks come from the dispatched path; checkasm shows every path equal)
fresh_build build-ci-quality -Dbuildtype=release -Dsimde_emulation=disabled
echo "== quality: dieharder ($(elapsed))"
# One at a time: each run is a generator and dieharder, about two cores' worth.
meson test -C build-ci-quality --suite quality --print-errorlogs --num-processes 1 --verbose
echo "== quality: passed in $(elapsed)"
