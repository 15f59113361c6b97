#!/usr/bin/env bash
# tests/consumers/pkgconfig/build.sh: builds the consumer with nothing but pkg-config: against
# the shared library (OUTDIR/consumer), the same with the library's directory as its run-time
# path (OUTDIR/consumer_rpath: -Wl,-rpath from pkg-config --variable=libdir, the README's recipe
# for a prefix outside the loader's path) and fully static (OUTDIR/consumer_static: pkg-config
# --static adds Libs.private, -pthread -lm).
#   PKG_CONFIG_PATH=<prefix>/<libdir>/pkgconfig bash build.sh OUTDIR [shared] [rpath] [static] [-- ARGS...]
# Without a kind it builds all three. ARGS go to every pkg-config call (run.sh relocates
# the prefix with --define-variable=prefix=...). CC defaults to cc.
set -euo pipefail
out=$1
shift
kinds=()
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
    kinds+=("$1")
    shift
done
[ "$#" -gt 0 ] && shift # --
[ "${#kinds[@]}" -gt 0 ] || kinds=(shared rpath static)
src=$(cd "$(dirname "$0")/.." && pwd)/consumer.c
cc=${CC:-cc}
mkdir -p "$out"
for kind in "${kinds[@]}"; do
    case "$kind" in
    shared) # shellcheck disable=SC2046 # pkg-config's output is a list of words
        "$cc" -std=c99 -o "$out/consumer" "$src" $(pkg-config "$@" --cflags --libs simdrop) ;;
    rpath) # shellcheck disable=SC2046
        "$cc" -std=c99 -o "$out/consumer_rpath" "$src" $(pkg-config "$@" --cflags --libs simdrop) \
            -Wl,-rpath,"$(pkg-config "$@" --variable=libdir simdrop)" ;;
    static) # shellcheck disable=SC2046
        "$cc" -std=c99 -static -o "$out/consumer_static" "$src" $(pkg-config "$@" --static --cflags --libs simdrop) ;;
    *) echo "build.sh: unknown kind $kind (shared, rpath, static)" >&2; exit 2 ;;
    esac
done
