#!/usr/bin/env bash
# tests/consumers/run.sh: installs a built simdrop into a temporary prefix and builds and runs
# the three consumer projects next to this script against it, the README's "Using it" ways:
#   cmake/      find_package(simdrop 1.1 REQUIRED): simdrop::simdrop (shared, or static with
#               -DSIMDROP_USE_STATIC=ON) and simdrop::simdrop_static; the version file's answers
#   pkgconfig/  pkg-config --cflags --libs simdrop, and a fully static link with --static
#   meson/      dependency('simdrop', fallback: ['simdrop', 'simdrop_dep']) with this source tree
#               as its subproject: by default the library alone is built, linked statically, and
#               the consumer's meson install installs nothing of simdrop; -Dsimdrop:install=true
#               installs all of it
# The installed tree is moved away from the prefix it was configured for before anything uses it,
# so the CMake package has to be relocatable (pkg-config gets --define-variable=prefix=).
#   bash tests/consumers/run.sh BUILDDIR [WORKDIR]
# BUILDDIR is a configured and built simdrop; WORKDIR (default BUILDDIR/consumers) is wiped
# first and kept afterwards. Exits 77 (meson's "skipped") when cmake is not installed; meson test
# runs it as the test "consumers" (suite consumers).
set -euo pipefail

# Under `meson test --wrap=valgrind` (.ci/sanitizers.sh) this shell would be checked itself, and
# bash does not free what it allocates: leave valgrind at once. Without --trace-children an
# exec'd program runs natively (and valgrind drops its LD_PRELOAD from the environment). The
# library's memory checks are the other tests' job; this one checks the packaging.
if [[ "${LD_PRELOAD:-}" == *vgpreload* ]] && [ -z "${SIMDROP_CONSUMERS_REEXEC:-}" ]; then
    SIMDROP_CONSUMERS_REEXEC=1 exec bash "$0" "$@"
fi

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "usage: bash tests/consumers/run.sh BUILDDIR [WORKDIR]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd)
work=${2:-$build/consumers}

if ! command -v cmake >/dev/null; then
    echo "SKIP: cmake is not installed (Debian: apt-get install cmake)"
    exit 77
fi
for tool in meson pkg-config ninja; do
    command -v "$tool" >/dev/null || { echo "consumers: $tool not found" >&2; exit 1; }
done

fail() {
    echo "consumers: FAILED: $*" >&2
    exit 1
}
# needed FILE: the DT_NEEDED entries of an ELF file, one a line (empty without readelf).
needed() {
    command -v readelf >/dev/null || return 0
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
# expect_linkage FILE shared|static: the program links libsimdrop dynamically, or not at all.
expect_linkage() {
    command -v readelf >/dev/null || return 0
    if needed "$1" | grep -q '^libsimdrop\.'; then
        [ "$2" = shared ] || fail "$1 needs $(needed "$1" | grep '^libsimdrop') but should be static"
    else
        [ "$2" = static ] || fail "$1 does not link libsimdrop's shared library"
    fi
}
# step NAME LOG COMMAND...: runs a command with its output in LOG, shown only on failure.
step() {
    local name=$1 log=$2
    shift 2
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        fail "$name (full log: $log)"
    fi
}

rm -rf "$work"
mkdir -p "$work"
version=$(sed -n "s/^  version: '\([^']*\)',$/\1/p" "$src/meson.build" | head -n 1)
[ -n "$version" ] || fail "cannot read the project version from meson.build"

# ---- install, then move the tree away from its configured prefix ------------------------------
step "meson install" "$work/install.log" meson install -C "$build" --no-rebuild --destdir "$work/destdir"
pc=$(find "$work/destdir" -name simdrop.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "meson install wrote no simdrop.pc"
prefix=$(sed -n 's/^prefix=//p' "$pc")
[ -d "$work/destdir$prefix" ] || fail "the installed tree is not under $work/destdir$prefix"
mv "$work/destdir$prefix" "$work/relocated"
root=$work/relocated
rm -rf "$work/destdir"
pc=$(find "$root" -name simdrop.pc -path '*/pkgconfig/*' | head -n 1)
cmake_dir=$(dirname "$(find "$root" -name simdrop-config.cmake | head -n 1)")
if [ ! -f "$cmake_dir/simdrop-config.cmake" ] || [ ! -f "$cmake_dir/simdrop-config-version.cmake" ]; then
    fail "meson install wrote no CMake package (simdrop-config.cmake, simdrop-config-version.cmake)"
fi
case "$cmake_dir" in */cmake/simdrop) ;; *) fail "the CMake package is in $cmake_dir, not <libdir>/cmake/simdrop" ;; esac
libdir=$(dirname "$(dirname "$cmake_dir")")
# (but in the check for a symlink into the configured prefix, which compares with it)
if grep -n "$prefix/" "$cmake_dir"/*.cmake | grep -v '_simdrop_configured "'; then
    fail "the CMake package names the configured prefix $prefix (not relocatable)"
fi
have_shared=0
have_static=0
compgen -G "$libdir/libsimdrop.so*" >/dev/null && have_shared=1
[ -f "$libdir/libsimdrop.a" ] && have_static=1
echo "== installed simdrop $version (prefix $prefix, moved to $root; shared $have_shared, static $have_static)"

# ---- CMake --------------------------------------------------------------------------------------
# The version file alone: SameMajorVersion. Every 1.x release up to this one is accepted (a
# consumer written for 1.0 or 1.1 keeps building), the next minor release is not.
IFS=. read -r major minor _ <<<"$version"
newer="$major.$((minor + 1))"
for case in "1.0 TRUE" "1.1 TRUE" "$major.$minor TRUE" "$version TRUE" "1 TRUE" "$newer FALSE" \
    "2.0 FALSE" "0.9 FALSE" "1.0 TRUE 1.9" "1.0 FALSE 2.1"; do
    read -r request expect range_max <<<"$case"
    step "cmake version file: request $request${range_max:+...$range_max}, expected $expect" \
        "$work/cmake-version.log" cmake -DVERSION_FILE="$cmake_dir/simdrop-config-version.cmake" \
        -DREQUEST="$request" -DEXPECT="$expect" ${range_max:+-DRANGE_MAX="$range_max"} \
        -P "$here/cmake/check_version.cmake"
done
echo "== cmake: the version file accepts 1.0, 1.1, $major.$minor, 1, ranges in 1.x; refuses $newer, 2.0, 0.9"

cmake_build() { # DIR CMAKE-ARGS...: configure and build the CMake consumer against $root
    local dir=$work/$1
    shift
    step "cmake configure $dir" "$dir.log" cmake -G Ninja -S "$here/cmake" -B "$dir" \
        -DCMAKE_PREFIX_PATH="$root" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF "$@"
    grep -q "^simdrop_DIR:PATH=$cmake_dir\$" "$dir/CMakeCache.txt" ||
        fail "cmake found $(grep '^simdrop_DIR' "$dir/CMakeCache.txt"), not $cmake_dir"
    step "cmake build $dir" "$dir.build.log" cmake --build "$dir"
}
cmake_build cmake
if [ "$have_shared" = 1 ]; then
    expect_linkage "$work/cmake/consumer" shared
else
    expect_linkage "$work/cmake/consumer" static
fi
"$work/cmake/consumer" cmake || fail "the CMake consumer (simdrop::simdrop)"
if [ "$have_static" = 1 ]; then
    expect_linkage "$work/cmake/consumer_static" static
    "$work/cmake/consumer_static" cmake-static || fail "the CMake consumer (simdrop::simdrop_static)"
    cmake_build cmake-use-static -DSIMDROP_USE_STATIC=ON
    expect_linkage "$work/cmake-use-static/consumer" static
    "$work/cmake-use-static/consumer" cmake-use-static || fail "the CMake consumer (SIMDROP_USE_STATIC=ON)"
fi
if cmake -G Ninja -S "$here/cmake" -B "$work/cmake-2.0" -DCMAKE_PREFIX_PATH="$root" \
    -DSIMDROP_WANT_VERSION=2.0 >"$work/cmake-2.0.log" 2>&1; then
    fail "find_package(simdrop 2.0 REQUIRED) accepted simdrop $version"
fi
grep -q "simdrop-config.cmake, version: $version" "$work/cmake-2.0.log" ||
    fail "find_package(simdrop 2.0) failed, but not for the version (see $work/cmake-2.0.log)"
echo "== cmake: find_package(simdrop 1.1 REQUIRED) builds and runs; find_package(simdrop 2.0) is refused"

# ---- pkg-config ---------------------------------------------------------------------------------
pkg=(--define-variable=prefix="$root")
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
got=$(pkg-config "${pkg[@]}" --modversion simdrop)
[ "$got" = "$version" ] || fail "pkg-config --modversion simdrop says $got, not $version"
private=$(pkg-config "${pkg[@]}" --static --libs simdrop)
grep -qw -- -lm <<<"$private" || fail "pkg-config --static --libs simdrop lacks -lm: $private"
grep -Eqw -- '-l?pthread' <<<"$private" || fail "pkg-config --static --libs simdrop lacks -pthread: $private"
kinds=()
[ "$have_shared" = 1 ] && kinds+=(shared rpath)
[ "$have_static" = 1 ] && kinds+=(static)
step "pkg-config consumer build" "$work/pkgconfig.log" \
    bash "$here/pkgconfig/build.sh" "$work/pkgconfig" "${kinds[@]}" -- "${pkg[@]}"
if [ "$have_shared" = 1 ]; then
    expect_linkage "$work/pkgconfig/consumer" shared
    LD_LIBRARY_PATH=$libdir "$work/pkgconfig/consumer" pkgconfig || fail "the pkg-config consumer"
    expect_linkage "$work/pkgconfig/consumer_rpath" shared
    env -u LD_LIBRARY_PATH "$work/pkgconfig/consumer_rpath" pkgconfig-rpath ||
        fail "the pkg-config consumer linked with -Wl,-rpath,\$(pkg-config --variable=libdir simdrop)"
fi
if [ "$have_static" = 1 ]; then
    expect_linkage "$work/pkgconfig/consumer_static" static
    "$work/pkgconfig/consumer_static" pkgconfig-static || fail "the static pkg-config consumer"
fi
echo "== pkg-config: ${kinds[*]} build and run$([ "$have_static" = 1 ] && echo " (--static: $private)")"
# An engine's shared library that links the static one exports nothing of simdrop (its symbols
# are hidden): two such engines in one process keep a copy and settings each.
if [ "$have_static" = 1 ] && command -v nm >/dev/null; then
    printf '#include <simdrop.h>\nconst char *engine_path(void) { return simdrop_isa(); }\n' \
        >"$work/engine.c"
    # shellcheck disable=SC2046 # pkg-config's words are separate arguments
    step "an engine's shared library linking libsimdrop.a" "$work/engine.log" \
        "${CC:-cc}" -shared -fPIC -o "$work/libengine.so" "$work/engine.c" \
        $(pkg-config "${pkg[@]}" --cflags simdrop) "$libdir/libsimdrop.a" -pthread -lm
    exported=$(nm -D --defined-only "$work/libengine.so" | grep ' simdrop_' || true)
    [ -z "$exported" ] || fail "a shared library linking libsimdrop.a exports simdrop's API: $exported"
    nm -D --defined-only "$work/libengine.so" | grep -q ' engine_path$' ||
        fail "the engine's own function is not exported (the check above could not fail)"
    echo "== an engine's shared library linking libsimdrop.a exports none of simdrop's symbols"
fi
unset PKG_CONFIG_PATH

# ---- meson subproject ---------------------------------------------------------------------------
# subproject_targets BUILDDIR: the simdrop targets the engine's build builds, one a line.
subproject_targets() {
    meson introspect --targets "$1" | python3 -c 'import json, sys
print("\n".join(sorted({t["name"] for t in json.load(sys.stdin)
                        if t["subproject"] == "simdrop" and t["build_by_default"]})))'
}
# installed_files DESTDIR: every file and link under DESTDIR, relative to it, one a line.
installed_files() {
    (cd "$1" && find . -type f -o -type l | sed 's|^\./||' | sort)
}
proj=$work/meson-project
mb=$work/meson-build
mkdir -p "$proj/subprojects"
cp "$here/meson/meson.build" "$here/consumer.c" "$proj/"
ln -s "$src" "$proj/subprojects/simdrop"
step "meson subproject consumer: setup" "$work/meson-setup.log" \
    meson setup "$mb" "$proj" --force-fallback-for=simdrop
step "meson subproject consumer: build" "$work/meson-build.log" meson compile -C "$mb"
"$mb/consumer" meson-subproject || fail "the meson subproject consumer"
echo "== meson: dependency('simdrop', fallback: ...) builds simdrop as a subproject and runs"

# The subproject's defaults: the library alone, linked statically, and nothing installed.
targets=$(subproject_targets "$mb")
grep -qx simdrop <<<"$targets" || fail "the subproject build has no simdrop library: $targets"
extra=$(grep -vx simdrop <<<"$targets" | grep -Ev '^kernels_[a-z0-9]+$' || true)
[ -z "$extra" ] || fail "a subproject builds more than the library by default: ${extra//$'\n'/ }"
expect_linkage "$mb/consumer" static
step "meson install of the consumer" "$work/meson-install.log" \
    meson install -C "$mb" --no-rebuild --destdir "$work/meson-destdir"
installed=$(installed_files "$work/meson-destdir")
if ! grep -Eqx '([^/]+/)*bin/consumer' <<<"$installed" || [ "$(wc -l <<<"$installed")" != 1 ]; then
    fail "the consumer's meson install should install its program alone, not: $installed"
fi
env -u LD_LIBRARY_PATH "$work/meson-destdir/$installed" meson-installed ||
    fail "the installed consumer (simdrop linked statically) does not run"
grep -q "meson install *: nothing (a subproject: -Dsimdrop:install=true)" "$work/meson-setup.log" ||
    fail "the subproject's configure summary does not say that it installs nothing"
echo "== meson subproject defaults: builds the library alone (${targets//$'\n'/ }), links it statically, installs nothing"

# default_library=shared changes nothing of that: nothing would install the shared library the
# engine's program would need.
step "meson subproject consumer: -Dsimdrop:default_library=shared" "$work/meson-shared.log" \
    meson configure "$mb" -Dsimdrop:default_library=shared
step "meson subproject consumer: rebuild" "$work/meson-build-shared.log" meson compile -C "$mb"
expect_linkage "$mb/consumer" static
"$mb/consumer" meson-subproject-shared || fail "the meson subproject consumer (default_library=shared)"
step "meson subproject consumer: back to default_library=both" "$work/meson-both.log" \
    meson configure "$mb" -Dsimdrop:default_library=both
echo "== meson subproject with -Dsimdrop:default_library=shared and no install: still linked statically"

# -Dsimdrop:install=true: simdrop's install comes with the engine's, and the shared library.
step "meson subproject consumer: -Dsimdrop:install=true" "$work/meson-install-on.log" \
    meson configure "$mb" -Dsimdrop:install=true
step "meson subproject consumer: rebuild" "$work/meson-build-on.log" meson compile -C "$mb"
expect_linkage "$mb/consumer" shared
step "meson install of the consumer with simdrop" "$work/meson-install-on.log" \
    meson install -C "$mb" --no-rebuild --destdir "$work/meson-destdir-on"
installed=$(installed_files "$work/meson-destdir-on")
for want in 'bin/consumer' 'include/simdrop\.h' 'lib/([^/]+/)?libsimdrop\.so\.1' \
    'lib/([^/]+/)?libsimdrop\.a' 'lib/([^/]+/)?pkgconfig/simdrop\.pc' \
    'lib/([^/]+/)?cmake/simdrop/simdrop-config\.cmake' \
    'lib/([^/]+/)?python3/dist-packages/simdrop/__init__\.py'; do
    grep -Eqx "([^/]+/)*$want" <<<"$installed" ||
        fail "-Dsimdrop:install=true installed no $want; it installed: $installed"
done
echo "== meson subproject with -Dsimdrop:install=true: installs the library, header, pkg-config, CMake and Python files"

echo "== consumers: all passed (work files in $work)"
