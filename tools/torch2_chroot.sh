#!/usr/bin/env bash
# torch2_chroot.sh: simdrop.torch's tests under PyTorch 2.x on a Debian 12 host (whose torch is 1.13): a Debian 13 chroot with its python3-torch runs tools/torch2_check.sh, then pip install . (test_wheel.py).
#
# Debian 12 has no PyTorch 2.x, and no package registry but Debian's is reachable here, so the
# tests that only 2.x can run (torch.compile, torch.export, torch.library.opcheck, DTensor, the
# C++ route compiled against 2.x) run in a debootstrap of the next Debian release, which brings
# PyTorch 2.6 and Python 3.13. The repository is bind-mounted at /src; builds go to
# build-torch2-chroot (library and C++ route, with the chroot's gcc and torch headers). Last,
# python/tests/test_wheel.py builds a wheel with pip under that Python and torch (the C++ route
# inside) and installs it into a fresh venv.
# Needs root (debootstrap, mount, chroot) and about 3 GB; the first run downloads about 1 GB.
# Usage: bash tools/torch2_chroot.sh [ROOT [OUT_DIR]]
#   ROOT     the chroot (default /var/tmp/simdrop-trixie; made when it has no python3)
#   OUT_DIR  where torch2_check.txt goes, relative to the repository (default: the terminal only)
#   SUITE    the Debian release (default trixie), MIRROR its archive (default deb.debian.org)
# Exit status: torch2_check.sh's (0 when every test file passed), 2 when the build in the
# chroot fails, 77 (the usual "skipped") when the chroot cannot be made or entered: not root, no
# debootstrap, no archive within 20 minutes, no mounts, no chroot.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=${1:-/var/tmp/simdrop-trixie}
out=${2:-}
suite=${SUITE:-trixie}
mirror=${MIRROR:-http://deb.debian.org/debian}
packages=python3-torch,python3-numpy,python3-dev,g++,libtorch-dev,pybind11-dev,libsimde-dev,meson,ninja-build,pkg-config,python3-pip,python3-venv,python3-mesonpy

mkdir -p build-logs
if [ "$(id -u)" != 0 ]; then
    echo "torch2_chroot.sh needs root: debootstrap, mount and chroot" >&2
    exit 77
fi
if [ ! -x "$root/usr/bin/python3" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null || exit 77
    echo "== debootstrap $suite into $root (PyTorch and its build dependencies)"
    if ! timeout 1200 debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
            >build-logs/torch2-chroot.log 2>&1; then
        echo "debootstrap failed (build-logs/torch2-chroot.log): $(tail -n 2 build-logs/torch2-chroot.log)" >&2
        exit 77
    fi
fi

# proc for torch's CPU queries, dev/shm for multiprocessing (the gloo tests), the repository
mounted=()
unmount() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}"; done
}
trap unmount EXIT
mount_at() { # mount_at TARGET MOUNT-ARGS...
    local target=$root/$1
    shift
    mkdir -p "$target"
    mount "$@" "$target" || exit 77
    mounted+=("$target")
}
mount_at proc -t proc proc
mount_at dev --bind /dev
mount_at dev/shm --bind /dev/shm
mount_at src --bind "$PWD"
if ! chroot "$root" /bin/true; then
    echo "cannot chroot into $root" >&2
    exit 77
fi
# a chroot made by an older version of this script: the packages added since
if ! chroot "$root" dpkg -s ${packages//,/ } >/dev/null 2>&1; then
    chroot "$root" apt-get install -y -q ${packages//,/ } >>build-logs/torch2-chroot.log 2>&1 || {
        echo "apt-get install in the chroot failed (build-logs/torch2-chroot.log)" >&2
        exit 77
    }
fi

# shellcheck disable=SC2016 # expanded inside the chroot
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 OUT="$out" bash -c '
    cd /src && mkdir -p build-logs || exit 2
    if [ ! -f build-torch2-chroot/build.ninja ] &&
       ! meson setup build-torch2-chroot -Dtests=false -Dbench=disabled -Dtorch_glue=enabled \
           >build-logs/torch2-chroot-setup.log 2>&1; then
        echo "meson setup failed (build-logs/torch2-chroot-setup.log)" >&2
        exit 2
    fi
    meson compile -C build-torch2-chroot >build-logs/torch2-chroot-build.log 2>&1 ||
        { echo "build failed (build-logs/torch2-chroot-build.log)" >&2; exit 2; }
    GLUE_BUILD=build-torch2-chroot PYTHON=/usr/bin/python3 \
        bash tools/torch2_check.sh build-torch2-chroot/libsimdrop.so $OUT
    status=$?
    # pip install . into a venv under this Python and torch, the C++ route inside the wheel
    echo "== python/tests/test_wheel.py (pip wheel . and pip install, Python $(python3 -c "import sys; print(sys.version.split()[0])"))"
    python3 python/tests/test_wheel.py /src build-torch2-chroot/libsimdrop.so \
        "$(python3 -c "import sysconfig; print(sysconfig.get_config_var(\"EXT_SUFFIX\"))")" \
        "$(python3 -c "import json; print(json.load(open(\"build-torch2-chroot/meson-info/intro-projectinfo.json\"))[\"version\"])")" 2>&1 |
        grep -E "\.\.\. |^(FAIL|ERROR):|^Ran |^OK|^FAILED|Error"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
    exit $status'
