#!/usr/bin/env bash
# .ci/abi.sh: the ABI of the built libsimdrop.so against the committed baseline (docs/ABI.md).
# Builds with debug info (build-ci-abi/), describes the library with abidw and compares it with
# tests/abi/<soname>.abi using abidiff; the status codes of simdrop.h (enum values, which abidw
# cannot see: no function takes the enum type) are compared with tests/abi/<soname>.status.
#   bash .ci/abi.sh            check: exit 0 when nothing changed, 1 with what to do otherwise
#   bash .ci/abi.sh --update   regenerate the baseline from this tree; commit tests/abi/ with
#                              the change that made it necessary
set -euo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

update=0
case "${1:-}" in
"") ;;
--update) update=1 ;;
*)
    echo "usage: bash .ci/abi.sh [--update]" >&2
    exit 2
    ;;
esac
regen="bash .ci/abi.sh --update"

need_pkgs "${BASE_PKGS[@]}" abigail-tools binutils
echo "== abi: build with debug info ($(elapsed))"
# The emulated kernels add nothing to the exported interface: they are left out to save time.
fresh_build build-ci-abi -Dbuildtype=debugoptimized -Dtests=false -Dsimde_emulation=disabled
lib=$(readlink -f build-ci-abi/libsimdrop.so)
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] || { echo "abi: $lib has no SONAME" >&2; exit 1; }
baseline=tests/abi/$soname.abi
baseline_status=tests/abi/$soname.status
current=build-ci-abi/$soname.abi
current_status=build-ci-abi/$soname.status

# The ABI corpus: exported interfaces only, with no build paths, source locations or DT_NEEDED,
# and hashed type ids, so that it is the same for every build directory, rebuild and build
# option (only the sources' paths relative to the root remain).
abidw --no-show-locs --no-corpus-path --no-comp-dir-path --no-elf-needed --type-id-style hash \
    --drop-undefined-syms --exported-interfaces-only --headers-dir include --drop-private-types \
    "$lib" | sed -E "s#(<abi-instr [^>]*path=')[^']*/(src|kernels)/#\1\2/#" >"$current"

# The status codes: NAME = VALUE, one a line, as the compiler sees them.
{
    printf '#include <stdio.h>\n#include "simdrop.h"\nint main(void)\n{\n'
    sed -n '/^enum simdrop_status {/,/^};/s/^ *\(SIMDROP_[A-Z0-9_]*\) *=.*/\1/p' include/simdrop.h |
        while read -r name; do
            printf '    printf("%%s = %%d\\n", "%s", (int)%s);\n' "$name" "$name"
        done
    printf '    return 0;\n}\n'
} >build-ci-abi/status_codes.c
"${CC:-cc}" -Iinclude -o build-ci-abi/status_codes build-ci-abi/status_codes.c
build-ci-abi/status_codes >"$current_status"
[ -s "$current_status" ] || { echo "abi: no status code found in include/simdrop.h" >&2; exit 1; }

if [ "$update" = 1 ]; then
    for old in tests/abi/libsimdrop.so.*.abi tests/abi/libsimdrop.so.*.status; do
        [ -e "$old" ] && [ "$old" != "$baseline" ] && [ "$old" != "$baseline_status" ] && rm -f "$old"
    done
    cp "$current" "$baseline"
    cp "$current_status" "$baseline_status"
    echo "== abi: wrote $baseline and $baseline_status from $lib: commit tests/abi/ (git add -A tests/abi) with the change"
    exit 0
fi

if [ ! -f "$baseline" ]; then
    others=$(find tests/abi -name 'libsimdrop.so.*.abi' -printf '%f ')
    if [ -n "$others" ]; then
        echo "abi: the library's soname is now $soname, the baseline is for ${others% }." >&2
        echo "abi: if the major version bump is intended (docs/ABI.md), run: $regen" >&2
    else
        echo "abi: no baseline $baseline: create it with: $regen" >&2
    fi
    exit 1
fi

echo "== abi: abidiff $baseline $current ($(elapsed))"
status=0
abidiff --no-show-locs "$baseline" "$current" >build-ci-abi/abidiff.txt 2>&1 || status=$?
cat build-ci-abi/abidiff.txt
echo "== abi: abidiff exit status $status (1 error, 2 usage error, 4 ABI change, 8 incompatible change)"
if [ $((status & 3)) -ne 0 ]; then
    echo "abi: abidiff failed (exit status $status): see above" >&2
    exit 1
fi

# Which kind of change: removed or changed functions/variables, or a changed status code, are
# incompatible; added functions and status codes are additions.
count() { # count WORD: the sum of the "N WORD" counts in abidiff's summary lines
    { grep -E 'changes summary' build-ci-abi/abidiff.txt || true; } |
        { grep -oE "[0-9]+ $1" || true; } | awk '{s += $1} END {print s + 0}'
}
removed=$(count Removed)
changed=$(count Changed)
added=$(count Added)
status_removed=$(comm -23 <(sort "$baseline_status") <(sort "$current_status"))
status_added=$(comm -13 <(sort "$baseline_status") <(sort "$current_status"))
if [ -n "$status_removed$status_added" ]; then
    echo "== abi: status codes, baseline ($baseline_status) -> this tree:"
    diff "$baseline_status" "$current_status" || true
fi
oneline() { # the lines of $1 joined by ", ", or "none"
    if [ -n "$1" ]; then paste -sd, <<<"$1" | sed 's/,/, /g'; else echo none; fi
}
incompatible=0
if [ $((status & 8)) -ne 0 ] || [ "$removed" -gt 0 ] || [ "$changed" -gt 0 ] ||
    grep -q 'SONAME changed' build-ci-abi/abidiff.txt || [ -n "$status_removed" ]; then
    incompatible=1
fi

if [ "$incompatible" = 1 ]; then
    cat >&2 <<EOF

abi: INCOMPATIBLE ABI CHANGE against $baseline
     functions/variables: $removed removed, $changed changed (abidiff exit status $status)
     status codes changed or removed: $(oneline "$status_removed")
     Programs built against $soname would break. If this is not intended, undo it: keep the old
     function as it is and add a new one (docs/ABI.md, "What is incompatible").
     If it is intended, it is a new major version (docs/ABI.md, "Breaking the ABI"):
       1. bump the major version: project(version:) in meson.build, and SIMDROP_VERSION_MAJOR,
          _MINOR, _PATCH and SIMDROP_VERSION_STRING in include/simdrop.h (the soname follows);
       2. start src/simdrop.map afresh with a single node SIMDROP_<major>.0;
       3. regenerate the baseline: $regen
       4. commit tests/abi/ (git add -A tests/abi) together with the change.
EOF
    exit 1
fi

if [ "$status" -ne 0 ] || [ "$added" -gt 0 ] || [ -n "$status_added" ]; then
    # An addition: it must come with a new version node (an old node never changes).
    old_nodes=$(grep -oE "version='[^']*'" "$baseline" | sort -u | tr '\n' ' ')
    misplaced=$(grep -oE '\{[a-z0-9_]+@@?[A-Za-z0-9_.]+\}' build-ci-abi/abidiff.txt |
        while IFS='@' read -r name _ node; do
            node=${node%\}}
            case " $old_nodes " in *" version='$node' "*) echo "${name#\{} ($node)" ;; esac
        done || true)
    cat >&2 <<EOF

abi: ABI ADDITION against $baseline
     functions/variables: $added added (abidiff exit status $status)
     status codes added: $(oneline "$status_added")
     Additions are compatible, but the baseline must follow them in the same commit
     (docs/ABI.md, "Adding functions"):
       1. put the new functions in a new version node SIMDROP_<major>.<minor+1> at the end of
          src/simdrop.map (inheriting the previous node), and bump the minor version in
          meson.build and include/simdrop.h, unless this release already has its new node;
       2. document them in docs/API.md (the api-doc test checks it);
       3. regenerate the baseline: $regen
       4. commit tests/abi/ (git add -A tests/abi) together with the change.
EOF
    if [ -n "$misplaced" ]; then
        echo "abi: these additions are in a version node that the baseline already has;" \
            "move them to a new node:" >&2
        while read -r line; do echo "       $line"; done <<<"$misplaced" >&2
    fi
    exit 1
fi

echo "== abi: $soname matches $baseline and $baseline_status ($(elapsed))"
