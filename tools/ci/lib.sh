# lib.sh: what the tools/ci scripts share: package installs on a fresh Debian 12, build setup, timing.
# Sourced, not run. Sets ROOT (the repository) and cds there.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ci_start=$(date +%s)

# need_pkgs PKG...: installs the Debian packages that are missing (CI runs as root on a fresh
# machine; a developer without root gets the list to install instead).
need_pkgs() {
    local missing=() pkg
    for pkg in "$@"; do
        # "install ok installed": dpkg -s alone also succeeds for a removed package
        [ "$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
            missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "run as root, or install: ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The library and its tests need these whatever the job.
BASE_PKGS=(meson ninja-build pkg-config gcc libc6-dev libsimde-dev)

# fresh_build DIR MESON-ARGS...: a new build directory (never a stale one: options differ per
# job); its setup and build output goes to build-ci-logs/ and is shown only on failure.
fresh_build() {
    local dir=$1 log=build-ci-logs/$1
    shift
    rm -rf "$dir"
    mkdir -p build-ci-logs
    meson setup "$dir" -Dbench=disabled "$@" >"$log.setup.log" 2>&1 || { cat "$log.setup.log"; exit 1; }
    ninja -C "$dir" >"$log.build.log" 2>&1 || { tail -50 "$log.build.log"; exit 1; }
}

# runnable_paths DIR: the kernel paths this build and CPU can run, one per line.
runnable_paths() {
    "$1/tests/reliability/list_paths"
}

elapsed() {
    echo "$(( $(date +%s) - ci_start ))s"
}
