#!/usr/bin/env bash
# sanitizers.sh: the test suite under ASan+UBSan once per forced path (but the SIMDe twins of paths
# that run natively, which the ASan and TSan builds leave out: .ci/lib.sh's native_twins; with
# SIMDROP_ISA set, the tests that loop over the paths take that path alone, tests/common.h's
# test_paths, so each run tests its own path), the thread tests under TSan, and the test suite
# under valgrind memcheck. The suites include checkasm and the fuzz corpus
# replay, which force the non-temporal store threshold down (and split calls across threads), so
# the non-temporal branches of every kernel run under ASan and valgrind too. The `large` suite
# (2^27-element calls) and `quality` (dieharder) are left out: they are about scale, not memory.
#   bash .ci/sanitizers.sh [asan] [tsan] [valgrind]     (no argument: all three)
# Build directories: build-ci-asan, build-ci-tsan, build-ci-valgrind. SIMDROP_TEST_SMALL=1 asks
# the heavier tests for shorter inputs: these runs are about memory and races, not statistics.
set -euo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

jobs=("$@")
[ "${#jobs[@]}" -eq 0 ] && jobs=(asan tsan valgrind)
export SIMDROP_TEST_SMALL=1

# The ASan and TSan builds use clang: gcc's ASan+UBSan build of two SIMDe kernel files alone ran
# over 8 minutes unfinished on the 2-core VM, and gcc 12 with -fsanitize=thread miscompiles the
# native avx512 alpha kernels' keep words (docs/PROMISES.md section 7).

# run_job NAME: one job; a failure is reported at the end, after the other jobs have run.
run_job() {
    case "$1" in
    asan)
        echo "== ASan+UBSan (clang): build ($(elapsed))"
        asan_build
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
        export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
        local failed=() path all docs=()
        all=$(runnable_paths build-ci-asan)
        for path in $all; do
            # A SIMDe twin of a path that runs natively here is the same template source as it:
            # skipped (CI minutes). neon-simde stays: it is NEON's one run under the sanitizers.
            if [[ $path == *-simde ]] && grep -qx "${path%-simde}" <<<"$all"; then
                echo "== ASan+UBSan: $path skipped (its native path ${path%-simde} ran)"
                continue
            fi
            echo "== ASan+UBSan: whole suite with SIMDROP_ISA=$path ($(elapsed))"
            # (of the gpu suite, gpu-c only: gpu/kernels.h compiled as C against this path; the
            # OpenCL run's PoCL leaks its LLVM's allocations, which are not ours to fix)
            # (--no-suite consumers: those tests build other projects against an installed copy,
            # with meson and CMake; nothing of the library's memory is in them)
            # (suite docs, the documents against the code and the same on every path, with the
            # first path alone: a minute of CI)
            SIMDROP_ISA=$path meson test -C build-ci-asan --no-suite quality --no-suite large \
                --no-suite gpu --no-suite consumers "${docs[@]}" --print-errorlogs \
                --num-processes 2 --timeout-multiplier 3 ||
                failed+=("$path")
            docs=(--no-suite docs)
            SIMDROP_ISA=$path meson test -C build-ci-asan --print-errorlogs gpu-c ||
                failed+=("$path (gpu-c)")
        done
        if [ "${#failed[@]}" -gt 0 ]; then
            echo "ASan+UBSan: failures with SIMDROP_ISA=${failed[*]}" >&2
            return 1
        fi
        ;;
    tsan)
        need_pkgs "${BASE_PKGS[@]}" clang libclang-rt-14-dev util-linux
        echo "== TSan (clang): build ($(elapsed))"
        CC=clang fresh_build build-ci-tsan -Dbuildtype=debugoptimized -Db_sanitize=thread \
            -Db_lundef=false -Dskip_twins="$(native_twins)"
        check_skipped_twins build-ci-tsan
        echo "== TSan: thread tests ($(elapsed))"
        # TSan's fixed shadow layout clashes with kernels that randomise mmap with more bits
        # than it expects; running without address randomisation sidesteps that. The suite
        # (tests/reliability/meson.build, suite 'threads') holds the callers' test, the first-call
        # race, the library's own threads (pool, engine hook, fork, exit) and dlclose.
        # die_after_fork=0: test_threads' forked children start threads, which TSan otherwise
        # refuses after a fork of a multi-threaded process.
        # tsan.supp: suppressions, each naming a library bug (none at present).
        TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$ROOT/tests/reliability/tsan.supp \
            setarch "$(uname -m)" -R \
            meson test -C build-ci-tsan --suite threads --print-errorlogs --timeout-multiplier 5
        ;;
    valgrind)
        need_pkgs "${BASE_PKGS[@]}" valgrind
        echo "== valgrind memcheck: build ($(elapsed))"
        fresh_build build-ci-valgrind -Dbuildtype=debugoptimized
        echo "== valgrind memcheck: whole suite ($(elapsed))"
        # Valgrind does not emulate AVX-512 and hides it from cpuid, so the avx512 path skips
        # itself here (its SIMDe twin still runs); ASan covers the native avx512 path.
        # (--no-suite gpu: PoCL compiles its kernels at run time, which memcheck makes too slow for
        # CI; the GPU harness is the CPU library's caller there, not its subject.)
        # (--no-suite consumers: as for ASan, and memcheck around meson and CMake took 3 minutes;
        # --no-suite docs: Python scripts that check the documents, which memcheck would run the
        # interpreter of, 30 times slower; the ASan job and the native suite run them; --no-suite
        # python: its tests skip under valgrind, after starting the interpreter under it;
        # --no-suite bounds: its inaccessible pages fault the same with or without memcheck,
        # which would make its million calls last minutes)
        meson test -C build-ci-valgrind --no-suite quality --no-suite large --no-suite gpu \
            --no-suite consumers --no-suite docs --no-suite python --no-suite bounds \
            --print-errorlogs \
            --num-processes 2 --timeout-multiplier 20 \
            --wrap='valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect'
        ;;
    *)
        echo "usage: bash .ci/sanitizers.sh [asan] [tsan] [valgrind]" >&2
        exit 2
        ;;
    esac
}

if [ "${#jobs[@]}" -eq 1 ]; then
    run_job "${jobs[0]}"
    echo "== sanitizers: ${jobs[0]} passed in $(elapsed)"
    exit 0
fi
# Several jobs: each in its own process (so set -e still ends a failing one), all of them run.
failed_jobs=()
for job in "${jobs[@]}"; do
    bash "$ROOT/.ci/sanitizers.sh" "$job" || failed_jobs+=("$job")
done
if [ "${#failed_jobs[@]}" -gt 0 ]; then
    echo "== sanitizers: FAILED: ${failed_jobs[*]} ($(elapsed))" >&2
    exit 1
fi
echo "== sanitizers: ${jobs[*]} passed in $(elapsed)"
