"""What every Python test file checks first: the optional modules it needs, and valgrind.

A missing numpy or torch makes the file exit 77, meson's "skipped", with the reason. Under
valgrind (the CI memcheck job wraps every test; LD_PRELOAD then names valgrind's preload
libraries) the files that load numpy/torch skip too: memcheck of the C library is the C tests'
job, and CPython with torch under memcheck takes minutes and reports CPython's own allocator."""
import importlib
import os
import sys


def require(*modules):
    if "vgpreload" in os.environ.get("LD_PRELOAD", ""):
        print("SKIP: running under valgrind (the C tests cover the library under memcheck)")
        sys.exit(77)
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            print(f"SKIP: {name} is not installed ({exc})")
            sys.exit(77)
