#!/usr/bin/env bash
# report.sh: sets up, builds, benchmarks and verifies every kernel path, and writes REPORT.md with
# throughput.png into the build tree; --update-committed also refreshes the committed report/.
#
# Usage: bench/report.sh [--quick] [--update-committed] [--out DIR] [--build-dir DIR] [--no-install] [--no-torch]
#   (no flag)           the full run (about 25 minutes on 2 cores): every size, 5 repetitions,
#                       checkasm --verify --large, PyTorch if it can be had; writes BUILD/report/
#                       (BUILD is the build directory, build-bench/ by default), so the checkout
#                       stays clean
#   --quick             smoke run (what CI runs): the native paths only (no SIMDe twins: each
#                       AVX-512 twin is minutes of compiling, and the test suite checks them),
#                       sizes 4K-1M, short timings, 2 repetitions, checkasm --verify --cases 4;
#                       writes BUILD/report-quick/
#   --update-committed  a full run that then copies REPORT.md and its plots over the
#                       committed report/ (only when every path verified PASS; not with --quick).
#                       Run it on a quiet machine and commit the result with the change it measures
#   --out DIR           where REPORT.md, throughput.png, bench.json and raw/ (logs) go instead
#   --build-dir DIR     the separate release build directory (default build-bench)
#   --no-install        do not apt-get anything; fail, naming them, if required packages are missing
#   --no-torch          skip the PyTorch comparison
# With LIBXSMM_DIR set to a libxsmm build that has the dropout TPP (libxsmm main built from
# source: make STATIC=1 BLAS=0; Debian's 1.17 predates it), its forward and backward are timed
# beside simdrop's as a peer baseline (bench/xsmm_bench.c).
# On Debian (12) as root it installs what is missing with apt-get (.ci/lib.sh's need_pkgs);
# nothing comes from PyPI.
# Exit status: 0 when the report was written and every path verified PASS.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=/usr/bin/python3 # Debian's interpreter: a pyenv/venv python3 on PATH lacks the python3-* packages

QUICK=0 OUT="" BUILD=build-bench INSTALL=1 TORCH=1 UPDATE=0
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --update-committed) UPDATE=1 ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --build-dir) BUILD=${2:?--build-dir needs a directory}; shift ;;
    --no-install) INSTALL=0 ;;
    --no-torch) TORCH=0 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "report.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if ((QUICK && UPDATE)); then
    echo "report.sh: --update-committed needs a full run: quick numbers never replace report/" >&2
    exit 2
fi
BUILD=${BUILD%/}
if ((QUICK)); then MODE=quick DEFAULT_OUT=$BUILD/report-quick; else MODE=full DEFAULT_OUT=$BUILD/report; fi
OUT=${OUT:-$DEFAULT_OUT}
OUT=${OUT%/}
RAW=$OUT/raw
mkdir -p "$OUT" "$RAW"

START=$SECONDS
PHASE=0
PHASES=10
((QUICK)) || PHASES=11 # the full run also times each kernel entry
[[ -n ${LIBXSMM_DIR:-} ]] && PHASES=$((PHASES + 1))
phase() {
    PHASE=$((PHASE + 1))
    printf '[report %d/%d, %3ds] %s\n' "$PHASE" "$PHASES" $((SECONDS - START)) "$*"
}
note() { printf '           %s\n' "$*"; }

# ---- 1. tools -------------------------------------------------------------------------------
phase "checking tools ($MODE mode)"
((INSTALL)) || export SIMDROP_NO_INSTALL=1 # need_pkgs then only names what is missing
# shellcheck source=.ci/lib.sh
. .ci/lib.sh
need_pkgs "${BASE_PKGS[@]}" g++ libbenchmark-dev libbenchmark-tools python3-matplotlib ||
    { echo "report.sh: required packages are missing (see above)" >&2; exit 1; }
# Full mode tries to add PyTorch for the comparison; the report goes on without it.
if ((TORCH)) && [[ $MODE == full ]]; then
    need_pkgs python3-torch python3-numpy libtorch-dev pybind11-dev >"$RAW/apt-torch.log" 2>&1 ||
        note "python3-torch could not be installed (see $RAW/apt-torch.log): the report will say PyTorch was skipped"
fi
# valgrind counts the instructions per element where the CPU's counter is not granted (a VM);
# the report goes on without the counts, and says so.
need_pkgs valgrind >"$RAW/apt-valgrind.log" 2>&1 || note "valgrind could not be installed (see $RAW/apt-valgrind.log)"
for tool in meson ninja "$PY"; do
    command -v "$tool" >/dev/null || { echo "report.sh: $tool not found" >&2; exit 1; }
done

# ---- 2. configure and build -----------------------------------------------------------------
phase "configuring a release build in $BUILD/"
# A build of its own: release flags whatever the developer's build/ uses, with the tests on:
# tests/checkasm is the verification (only it and the suite are built, not the other tests).
SETUP_ARGS=(--buildtype=release -Db_ndebug=true -Dbench=enabled -Dtests=true)
if ((QUICK)); then SETUP_ARGS+=(-Dsimde_emulation=disabled); else SETUP_ARGS+=(-Dsimde_emulation=auto); fi
if [[ -f $BUILD/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$BUILD" "${SETUP_ARGS[@]}" >"$RAW/meson-setup.log" 2>&1
else
    meson setup "$BUILD" "${SETUP_ARGS[@]}" >"$RAW/meson-setup.log" 2>&1
fi || { tail -30 "$RAW/meson-setup.log" >&2; exit 1; }

phase "building"
# Which sources the numbers belong to, taken at build time ("-dirty": uncommitted changes).
SOURCE=$(git describe --always --dirty 2>/dev/null || echo "not a git checkout")
ninja -C "$BUILD" bench/simdrop_bench tests/checkasm scaling tests/reliability/list_paths >"$RAW/build.log" 2>&1 ||
    { tail -40 "$RAW/build.log" >&2; exit 1; }

# Pin to one core: the last one this process may use, leaving CPU 0 to interrupts and whatever
# else runs. Without taskset (or in a container that forbids it) the run goes on unpinned.
CPU=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status 2>/dev/null | tr ',' '\n' | tail -1 | sed 's/.*-//')
PIN=()
if [[ -n $CPU ]] && command -v taskset >/dev/null && taskset -c "$CPU" true 2>/dev/null; then
    PIN=(taskset -c "$CPU")
else
    CPU="not pinned"
fi
unset SIMDROP_ISA # the suite forces each path itself; a stray value would only confuse "auto"
# (the timed programs set one thread themselves; scaling.c sets its own counts)
unset SIMDROP_NUM_THREADS

# ---- 3. verification ------------------------------------------------------------------------
# tests/checkasm: every kernel table entry and every public entry point (each operation and
# dtype) on every path against scalar, bit for bit; --verify ends with the VERIFY lines the report
# reads. Unpinned: it also runs calls split over up to 16 threads. Line-buffered, so that the
# log shows how far it got, and under a time limit (a few times its usual time), so that a hang
# fails the verification instead of stalling the report.
VERIFY_ARGS=(--verify --large) VERIFY_LIMIT=900
((QUICK)) && VERIFY_ARGS=(--verify --cases 4) VERIFY_LIMIT=300
phase "verifying every path bit for bit against scalar: checkasm ${VERIFY_ARGS[*]}"
VERIFY_RC=0
timeout "$VERIFY_LIMIT" stdbuf -oL "$BUILD/tests/checkasm" "${VERIFY_ARGS[@]}" >"$RAW/verify.txt" 2>"$RAW/verify.err" ||
    VERIFY_RC=$?
grep '^VERIFY_TOTAL' "$RAW/verify.txt" | sed 's/^/           /' || note "no verification result (exit $VERIFY_RC)"
if ((VERIFY_RC == 124)); then
    echo "checkasm did not finish within $VERIFY_LIMIT s: a hang (its last lines are in $RAW/verify.txt)" >>"$RAW/verify.err"
    note "checkasm did not finish within $VERIFY_LIMIT s (a hang?): verification FAILED; see $RAW/verify.txt"
elif ((VERIFY_RC)); then
    note "checkasm failed (exit $VERIFY_RC): see $RAW/verify.txt and $RAW/verify.err"
fi

# Full mode: nanoseconds per element of each kernel table entry per path, in cache (no dispatch),
# for the report's appendix: where a slow operation loses its time.
KERNEL_BENCH=""
if ((!QUICK)); then
    phase "timing each kernel entry in cache: checkasm --bench, CPU $CPU"
    if "${PIN[@]}" "$BUILD/tests/checkasm" --bench >"$RAW/kernel_bench.txt" 2>&1; then
        KERNEL_BENCH=$RAW/kernel_bench.txt
    else
        note "checkasm --bench failed (see $RAW/kernel_bench.txt); the report goes on without it"
    fi
fi

# ---- 4. what this machine is, and instructions per element -----------------------------------
# The CPU features the library detected, in its own words, from `list_paths --features` where
# the build's list_paths has that option (one that lacks it prints its paths either way, which
# is how it is told apart); otherwise the report shows /proc/cpuinfo's flags, labelled as such.
FEATURES=""
LIST_PATHS=$BUILD/tests/reliability/list_paths
if "$LIST_PATHS" --features >"$RAW/features.txt" 2>/dev/null &&
    ! cmp -s "$RAW/features.txt" <("$LIST_PATHS" 2>/dev/null); then
    FEATURES=$RAW/features.txt
else
    rm -f "$RAW/features.txt"
fi
# One call of each operation on 1M elements, one thread: simdrop_bench --instructions counts it
# with the CPU's instruction counter where the kernel grants one; else callgrind counts it,
# on the path the library picks under valgrind (which does not execute AVX-512), dump k for
# case k (see simdrop_bench.cpp). The report's explanations compare these counts.
INSNS_N=1048576 INSNS_SKIP="" CALLGRIND_OUT=""
rm -rf "$RAW/callgrind"
phase "counting instructions per element: $INSNS_N elements per call (log: $RAW/instructions.txt)"
if ! "$BUILD/bench/simdrop_bench" --instructions=$INSNS_N >"$RAW/instructions.txt" 2>&1; then
    INSNS_SKIP="simdrop_bench --instructions failed (see raw/instructions.txt)"
elif ! grep -q per_element= "$RAW/instructions.txt"; then
    if command -v valgrind >/dev/null; then
        note "no hardware instruction counter here: counting under callgrind"
        mkdir -p "$RAW/callgrind"
        CALLGRIND_OUT=$RAW/callgrind/callgrind.out
        valgrind --tool=callgrind --callgrind-out-file="$CALLGRIND_OUT" --toggle-collect='*count_calls*' \
            --dump-before='*case_counted*' "$BUILD/bench/simdrop_bench" --instructions=$INSNS_N \
            --instructions-counter=none >"$RAW/instructions.txt" 2>"$RAW/callgrind.log" ||
            INSNS_SKIP="callgrind failed (see raw/callgrind.log)"
    else
        INSNS_SKIP="the CPU's instruction counter is not granted here (perf_event_open) and valgrind is missing"
    fi
fi
[[ -z $INSNS_SKIP ]] || note "$INSNS_SKIP"

# ---- 5. benchmark suite ---------------------------------------------------------------------
# Interleaved repetitions: a burst of load from a neighbour then hits one repetition of many
# cases, which the median drops, instead of all repetitions of one case.
REPS=5
((QUICK)) && REPS=2
BENCH_ARGS=("--benchmark_repetitions=$REPS" --benchmark_enable_random_interleaving=true)
((QUICK)) && BENCH_ARGS+=(--quick)
BENCH=("${PIN[@]}" "$BUILD/bench/simdrop_bench" "${BENCH_ARGS[@]}")
TOTAL=$(($("${BENCH[@]}" --benchmark_list_tests=true | wc -l) * REPS))
phase "running the benchmark suite: $TOTAL runs, CPU $CPU (console log: $RAW/bench.txt)"
((QUICK)) || note "(about 20 minutes on a quiet 2-core VM; Google Benchmark prints a case when its last"
((QUICK)) || note " interleaved repetition ends, so the count below stays low until near the end)"
"${BENCH[@]}" --benchmark_out="$OUT/bench.json" --benchmark_out_format=json >"$RAW/bench.txt" 2>&1 &
BENCH_PID=$!
while kill -0 "$BENCH_PID" 2>/dev/null; do
    sleep 15
    # One console line per finished repetition, plus the aggregate lines, which we leave out.
    DONE=$(grep ' ns ' "$RAW/bench.txt" | grep -cvE '_(mean|median|stddev|cv|min|max) ' || true)
    kill -0 "$BENCH_PID" 2>/dev/null && note "$DONE/$TOTAL runs done"
done
wait "$BENCH_PID" || { tail -20 "$RAW/bench.txt" >&2; echo "report.sh: the benchmark suite failed" >&2; exit 1; }

# ---- 6. threads and peers ----------------------------------------------------------------------
# One call on the library's threads, 1 .. all cores, against a memcpy split over as many threads
# (wall-clock time; unpinned, it needs every core); bench/scaling.c checks the bits of every
# thread count against one thread's.
SCALING_N=67108864 SCALING_REPS=5
((QUICK)) && SCALING_N=4194304 SCALING_REPS=2
phase "thread scaling: 1..$(nproc) threads, $SCALING_N floats (log: $RAW/scaling.txt)"
: >"$RAW/scaling.txt"
for op in forward_mask backward; do
    "$BUILD/scaling" "$SCALING_N" "$(nproc)" "$SCALING_REPS" "$op" >>"$RAW/scaling.txt" 2>&1 ||
        { cat "$RAW/scaling.txt" >&2; echo "report.sh: thread scaling failed or changed bits" >&2; exit 1; }
done
XSMM_TXT=""
if [[ -n ${LIBXSMM_DIR:-} ]]; then
    phase "libxsmm's dropout TPP beside simdrop, CPU $CPU (log: $RAW/xsmm.txt)"
    if cc -O2 -I"$LIBXSMM_DIR/include" -Iinclude bench/xsmm_bench.c -o "$BUILD/xsmm_bench" \
        "$LIBXSMM_DIR/lib/libxsmm.a" -L"$BUILD" -lsimdrop -Wl,-rpath,"$PWD/$BUILD" -lpthread -lm -ldl \
        >"$RAW/xsmm.txt" 2>&1; then
        XSMM_TXT=$RAW/xsmm.txt
        for n in 65536 1048576 16777216; do
            # (all sizes or none: the report's libxsmm target is stated for every size)
            "${PIN[@]}" "$BUILD/xsmm_bench" "$n" "$SCALING_REPS" >>"$RAW/xsmm.txt" 2>&1 || {
                note "xsmm_bench failed at n=$n (see $RAW/xsmm.txt); the report leaves libxsmm out"
                XSMM_TXT=""
                break
            }
        done
    else
        note "could not build against LIBXSMM_DIR=$LIBXSMM_DIR (see $RAW/xsmm.txt); going on without it"
    fi
fi

# ---- 7. PyTorch -----------------------------------------------------------------------------
TORCH_JSON="" TORCH_SKIP=""
if ((!TORCH)); then
    TORCH_SKIP="--no-torch was given"
elif ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
    TORCH_SKIP="python3-torch and python3-numpy (Debian) do not both import here"
fi
if [[ -z $TORCH_SKIP ]]; then
    phase "timing PyTorch's dropout operations on the same sizes (log: $RAW/torch.txt)"
    TORCH_ARGS=()
    ((QUICK)) && TORCH_ARGS=(--sizes "4096,65536,1048576" --engine-sizes "65536,1048576" --min-time 0.02 --repetitions 2
                             --module-sizes "1,200,65536" --module-dtypes float32 --module-reps 2 --module-budget 0.05)
    # simdrop.torch against torch.nn runs python/ on this build's shared library, and its C++
    # route (simdrop.torch._glue) where the build has it: the report names the route it timed
    [[ -e $BUILD/libsimdrop.so ]] || meson compile -C "$BUILD" simdrop:shared_library >>"$RAW/build.log" 2>&1 || true
    GLUE=$BUILD/python/_glue$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
    ninja -C "$BUILD" "${GLUE#"$BUILD"/}" >>"$RAW/build.log" 2>&1 || GLUE="" # (not built: no torch headers)
    if "${PIN[@]}" env SIMDROP_LIBRARY="$(cd "$BUILD" && pwd)/libsimdrop.so" PYTHONPATH="$PWD/python" \
        ${GLUE:+SIMDROP_TORCH_GLUE="$(realpath "$GLUE")"} \
        "$PY" bench/torch_bench.py "${TORCH_ARGS[@]}" --out "$OUT/torch.json" 2>"$RAW/torch.txt"; then
        TORCH_JSON=$OUT/torch.json
    else
        TORCH_SKIP="the PyTorch measurement failed (see $RAW/torch.txt)"
    fi
else
    phase "PyTorch skipped: $TORCH_SKIP"
fi

# ---- 8. report ------------------------------------------------------------------------------
phase "writing $OUT/REPORT.md and $OUT/throughput.png"
CMD="bench/report.sh"
((QUICK)) && CMD+=" --quick"
((UPDATE)) && CMD+=" --update-committed"
ELAPSED=$((SECONDS - START)) # the whole run up to here: setup, build, verify, bench, torch
PYTHONDONTWRITEBYTECODE=1 "$PY" bench/report.py --bench "$OUT/bench.json" --verify "$RAW/verify.txt" \
    --verify-command "checkasm ${VERIFY_ARGS[*]}" ${KERNEL_BENCH:+--kernel-bench "$KERNEL_BENCH"} \
    ${TORCH_JSON:+--torch "$TORCH_JSON"} --torch-skip-reason "$TORCH_SKIP" \
    --scaling "$RAW/scaling.txt" ${XSMM_TXT:+--xsmm "$XSMM_TXT"} ${FEATURES:+--features "$FEATURES"} \
    --instructions "$RAW/instructions.txt" ${CALLGRIND_OUT:+--callgrind-out "$CALLGRIND_OUT"} \
    --instructions-skip "$INSNS_SKIP" \
    --build-dir "$BUILD" --out "$OUT" --mode "$MODE" --pinned "$CPU" --command "$CMD" --source "$SOURCE" \
    --elapsed "$((ELAPSED / 60)) min $((ELAPSED % 60)) s" \
    --gbench-version "$(dpkg-query -W -f '${Version}' libbenchmark-dev 2>/dev/null || echo '?')"

# ---- 9. summary -----------------------------------------------------------------------------
phase "done in $((SECONDS - START)) s"
note "report: $OUT/REPORT.md, plot: $OUT/throughput.png, raw JSON: $OUT/bench.json"
note "compare two runs: $PY /usr/share/benchmark/compare.py benchmarks OLD.json $OUT/bench.json"
if ((VERIFY_RC)); then
    echo "report.sh: verification FAILED (see $RAW/verify.txt and $RAW/verify.err)" >&2
    ((UPDATE)) && echo "report.sh: report/ left as it was" >&2
    exit 1
fi
if ((UPDATE)); then
    cp "$OUT/REPORT.md" "$OUT/throughput.png" report/
    [[ -f $OUT/scaling.png ]] && cp "$OUT/scaling.png" report/ # the thread-scaling plot REPORT.md shows
    note "updated the committed report/REPORT.md and its plots in report/: review and commit them"
fi
