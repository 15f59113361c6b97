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
# Two at a time: each run is about one core's worth (dieharder; the generator mostly waits on the
# pipe), and the 28 tests of the first take as long as the other three runs together.
meson test -C build-ci-quality --suite quality --print-errorlogs --num-processes 2
echo "== quality: passed in $(elapsed)"
