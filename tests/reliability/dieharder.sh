#!/usr/bin/env bash
# dieharder.sh: pipes a quality.c stream into dieharder; fails on any FAILED, a cut-short run or too little input.
#   dieharder.sh QUALITY MIN_BYTES RESULT_LINES "DIEHARDER_ARGS" [QUALITY_ARGS...]
# dieharder -g 200 (stdin_input_raw) reads 32-bit words from stdin with fread and never rewinds;
# at end of input it prints "# stdin_input_raw(): Error: EOF" and exits 0 with the results so
# far missing. So a run counts only if every expected result line is there, that message is
# absent, and the generator wrote at least MIN_BYTES (what dieharder consumed is at least that
# minus what sat in the pipe when it closed it: at most the pipe's 1 MiB maximum).
set -uo pipefail
quality=$1 min_bytes=$2 want_lines=$3 dh_args=$4
shift 4
command -v dieharder >/dev/null || { echo "dieharder is not installed (Debian: dieharder)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
# shellcheck disable=SC2086 # dh_args is a list of dieharder options
"$quality" "$@" 2>"$tmp/gen.err" | dieharder -g 200 $dh_args >"$tmp/out" 2>"$tmp/dh.err"
status=$?
cat "$tmp/out"
wrote=$(sed -n 's/^quality: wrote \([0-9]*\) bytes$/\1/p' "$tmp/gen.err")
lines=$(grep -cE '\|[[:space:]]*(PASSED|WEAK|FAILED)[[:space:]]*$' "$tmp/out")
echo "dieharder.sh: ${wrote:-?} bytes in $(( $(date +%s) - start ))s, $lines result lines (want $want_lines)"
fail=0
[ "$status" = 0 ] || { echo "FAIL: pipeline exit status $status"; cat "$tmp/gen.err" "$tmp/dh.err"; fail=1; }
if grep -q 'stdin_input_raw' "$tmp/dh.err"; then
    echo "FAIL: dieharder ran out of input:"; cat "$tmp/dh.err"; fail=1
fi
[ "$lines" = "$want_lines" ] || { echo "FAIL: $lines result lines, want $want_lines"; fail=1; }
[ "${wrote:-0}" -ge $(( min_bytes + (1 << 20) )) ] || { echo "FAIL: only ${wrote:-0} bytes consumed, want $min_bytes"; fail=1; }
if grep -q 'FAILED' "$tmp/out"; then echo "FAIL: a dieharder test FAILED"; fail=1; fi
exit $fail
