"""What every Python test file checks first: the optional modules it needs, and valgrind.

A missing numpy or torch makes the file exit 77, meson's "skipped", with the reason; with
SIMDROP_TEST_REQUIRE_PYTHON=1 (tests/run.sh, which installs them all) it fails instead, so that a
module that is there but broken cannot pass as a skip. Under
valgrind (the CI memcheck job wraps every test; LD_PRELOAD then names valgrind's preload
libraries) the files that load numpy/torch skip too: memcheck of the C library is the C tests'
job, and CPython with torch under memcheck takes minutes and reports CPython's own allocator."""
import importlib
import os
import sys


def skip(reason):
    """Exit as meson's "skipped", or as a failure where the environment must have everything."""
    if os.environ.get("SIMDROP_TEST_REQUIRE_PYTHON") == "1":
        print(f"FAIL: SIMDROP_TEST_REQUIRE_PYTHON=1, and {reason}")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(77)


def require(*modules):
    if "vgpreload" in os.environ.get("LD_PRELOAD", ""):
        print("SKIP: running under valgrind (the C tests cover the library under memcheck)")
        sys.exit(77)
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            skip(f"{name} is not installed ({exc})")
