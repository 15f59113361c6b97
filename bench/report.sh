#!/usr/bin/env bash
# report.sh: sets up, builds, benchmarks and verifies every kernel path, and writes report/REPORT.md with report/throughput.png.
#
# Usage: bench/report.sh [--quick] [--out DIR] [--build-dir DIR] [--no-install] [--no-torch]
#   --quick       smoke run (a few minutes at most; what CI runs): sizes 4K-1M, short timings,
#                 2 repetitions, fewer verification cases. Writes to report/raw/quick/ unless --out
#                 is given, so it never overwrites the committed full report.
#   --out DIR     where REPORT.md, throughput.png, the JSON and raw logs go (default report/)
#   --build-dir   the separate release build directory (default build-bench/)
#   --no-install  do not apt-get anything; fail if a required tool is missing
#   --no-torch    skip the PyTorch comparison
# On Debian (12) as root it installs what is missing with apt-get; nothing comes from PyPI.
# Exit status: 0 when the report was written and every path verified PASS.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PY=/usr/bin/python3 # Debian's interpreter: a pyenv/venv python3 on PATH lacks the python3-* packages

QUICK=0 OUT="" BUILD=build-bench INSTALL=1 TORCH=1
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    --build-dir) BUILD=$2; shift ;;
    --no-install) INSTALL=0 ;;
    --no-torch) TORCH=0 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "report.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if ((QUICK)); then MODE=quick; else MODE=full; fi
OUT=${OUT:-$([[ $MODE == quick ]] && echo report/raw/quick || echo report)}
RAW=$OUT/raw
[[ $MODE == quick ]] && RAW=$OUT # report/raw/quick is raw already
mkdir -p "$OUT" "$RAW"

START=$SECONDS
PHASE=0
PHASES=8
phase() {
    PHASE=$((PHASE + 1))
    printf '[report %d/%d, %3ds] %s\n' "$PHASE" "$PHASES" $((SECONDS - START)) "$*"
}
note() { printf '           %s\n' "$*"; }

# ---- 1. tools -------------------------------------------------------------------------------
phase "checking tools ($MODE mode)"
REQUIRED=(meson ninja-build pkg-config gcc g++ libsimde-dev libbenchmark-dev libbenchmark-tools
    python3-matplotlib)
APT_UPDATED=0
installed() { # dpkg -s alone also succeeds for a removed package whose config files remain
    # (no grep -q: it may stop reading early, and under pipefail dpkg's SIGPIPE would fail us)
    dpkg -s "$1" 2>/dev/null | grep '^Status: install ok installed' >/dev/null
}
apt_install() { # apt_install PKG...: installs, running apt-get update once and only when needed
    local sudo=""
    if ((EUID != 0)); then
        command -v sudo >/dev/null || return 1
        sudo="sudo -n"
    fi
    if ((!APT_UPDATED)); then
        $sudo apt-get update -qq || return 1
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}
if command -v dpkg >/dev/null; then
    MISSING=()
    for p in "${REQUIRED[@]}"; do
        installed "$p" || MISSING+=("$p")
    done
    if ((${#MISSING[@]})); then
        note "missing: ${MISSING[*]}"
        if ((!INSTALL)) || ! apt_install "${MISSING[@]}"; then
            echo "report.sh: cannot install ${MISSING[*]}; run as root: apt-get install ${MISSING[*]}" >&2
            exit 1
        fi
    fi
    # Full mode tries to add PyTorch for the comparison; the report goes on without it.
    if ((TORCH && INSTALL)) && [[ $MODE == full ]] && ! installed python3-torch; then
        note "trying apt-get install python3-torch (optional)"
        apt_install python3-torch python3-numpy >"$RAW/apt-torch.log" 2>&1 ||
            note "python3-torch could not be installed: the report will say PyTorch was skipped"
    fi
else
    note "no dpkg: not a Debian system, assuming the tools are installed"
fi
for tool in meson ninja "$PY"; do
    command -v "$tool" >/dev/null || { echo "report.sh: $tool not found" >&2; exit 1; }
done

# ---- 2. configure and build -----------------------------------------------------------------
phase "configuring a release build in $BUILD/"
# A build of its own: release flags whatever the developer's build/ uses, and tests off (this
# is about speed; tests/ has its own run).
SETUP_ARGS=(--buildtype=release -Db_ndebug=true -Dbench=enabled -Dtests=false)
if [[ -f $BUILD/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$BUILD" "${SETUP_ARGS[@]}" >"$RAW/meson-setup.log" 2>&1
else
    meson setup "$BUILD" "${SETUP_ARGS[@]}" >"$RAW/meson-setup.log" 2>&1
fi || { tail -30 "$RAW/meson-setup.log" >&2; exit 1; }

phase "building"
# Which sources the numbers belong to, taken at build time ("-dirty": uncommitted changes).
SOURCE=$(git describe --always --dirty 2>/dev/null || echo "not a git checkout")
ninja -C "$BUILD" >"$RAW/build.log" 2>&1 || { tail -40 "$RAW/build.log" >&2; exit 1; }

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

# ---- 3. verification ------------------------------------------------------------------------
phase "verifying every path bit for bit against scalar"
VERIFY_ARGS=()
((QUICK)) && VERIFY_ARGS=(--quick)
VERIFY_RC=0
"$BUILD/bench/simdrop_verify" "${VERIFY_ARGS[@]}" >"$RAW/verify.txt" 2>"$RAW/verify.err" || VERIFY_RC=$?
grep '^VERIFY_TOTAL' "$RAW/verify.txt" | sed 's/^/           /' || note "no verification result (exit $VERIFY_RC)"

# ---- 4. benchmark suite ---------------------------------------------------------------------
# Interleaved repetitions: a burst of load from a neighbour then hits one repetition of many
# cases, which the median drops, instead of all repetitions of one case.
REPS=5
((QUICK)) && REPS=2
BENCH_ARGS=(--benchmark_repetitions=$REPS --benchmark_enable_random_interleaving=true)
((QUICK)) && BENCH_ARGS+=(--quick)
BENCH=("${PIN[@]}" "$BUILD/bench/simdrop_bench" "${BENCH_ARGS[@]}")
TOTAL=$(($("${BENCH[@]}" --benchmark_list_tests=true | wc -l) * REPS))
phase "running the benchmark suite: $TOTAL runs, CPU $CPU (console log: $RAW/bench.txt)"
"${BENCH[@]}" --benchmark_out="$OUT/bench.json" --benchmark_out_format=json >"$RAW/bench.txt" 2>&1 &
BENCH_PID=$!
while kill -0 "$BENCH_PID" 2>/dev/null; do
    sleep 15
    # One console line per finished repetition, plus the aggregate lines, which we leave out.
    DONE=$(grep ' ns ' "$RAW/bench.txt" | grep -cvE '_(mean|median|stddev|cv|min|max) ' || true)
    kill -0 "$BENCH_PID" 2>/dev/null && note "$DONE/$TOTAL runs done"
done
wait "$BENCH_PID" || { tail -20 "$RAW/bench.txt" >&2; echo "report.sh: the benchmark suite failed" >&2; exit 1; }

# ---- 5. PyTorch -----------------------------------------------------------------------------
TORCH_JSON="" TORCH_SKIP=""
if ((!TORCH)); then
    TORCH_SKIP="--no-torch was given"
elif ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
    TORCH_SKIP="python3-torch and python3-numpy (Debian) do not both import here"
fi
if [[ -z $TORCH_SKIP ]]; then
    phase "timing PyTorch's dropout on the same sizes"
    TORCH_ARGS=()
    ((QUICK)) && TORCH_ARGS=(--sizes 4096,65536,1048576 --min-time 0.02 --repetitions 2)
    if "${PIN[@]}" "$PY" bench/torch_bench.py "${TORCH_ARGS[@]}" --out "$OUT/torch.json" 2>"$RAW/torch.txt"; then
        TORCH_JSON=$OUT/torch.json
    else
        TORCH_SKIP="the PyTorch measurement failed (see $RAW/torch.txt)"
    fi
else
    phase "PyTorch skipped: $TORCH_SKIP"
fi

# ---- 6. report ------------------------------------------------------------------------------
phase "writing $OUT/REPORT.md and $OUT/throughput.png"
CMD="bench/report.sh"
((QUICK)) && CMD+=" --quick"
ELAPSED=$((SECONDS - START)) # the whole run up to here: setup, build, verify, bench, torch
"$PY" bench/report.py --bench "$OUT/bench.json" --verify "$RAW/verify.txt" \
    ${TORCH_JSON:+--torch "$TORCH_JSON"} --torch-skip-reason "$TORCH_SKIP" \
    --build-dir "$BUILD" --out "$OUT" --mode "$MODE" --pinned "$CPU" --command "$CMD" --source "$SOURCE" \
    --elapsed "$((ELAPSED / 60)) min $((ELAPSED % 60)) s" \
    --gbench-version "$(dpkg-query -W -f '${Version}' libbenchmark-dev 2>/dev/null || echo '?')"

# ---- 7. summary -----------------------------------------------------------------------------
phase "done in $((SECONDS - START)) s"
note "report: $OUT/REPORT.md, plot: $OUT/throughput.png, raw JSON: $OUT/bench.json"
note "compare two runs: $PY /usr/share/benchmark/compare.py benchmarks OLD.json $OUT/bench.json"
if ((VERIFY_RC)); then
    echo "report.sh: verification FAILED (see $RAW/verify.txt and $RAW/verify.err)" >&2
    exit 1
fi
