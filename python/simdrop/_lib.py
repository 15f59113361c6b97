"""_lib.py: the ctypes declarations of include/simdrop.h, one block per C function, no logic.

This module only finds and loads the shared library, checks its version, and declares every
function's argument and result types, in the header's order. The Pythonic API (simdrop/_api.py
for numpy arrays, simdrop/torch/ for tensors) is built on these names and never touches a ctypes
type itself.

Where the library is found:
  1. $SIMDROP_LIBRARY: the path of the shared library. When it is set it is the only one tried:
     if it cannot be loaded or its version does not fit, import fails with that reason and names
     the library the search below would have found instead (an explicit setting that fails is an
     error, never silently replaced by another library).
  2. In this package's own directory, libsimdrop.so: the copy a wheel carries (pip install .).
     Then next to the package as `meson install` lays it out: the package is installed in
     <libdir>/python3/dist-packages/simdrop/, so the library is ../../../libsimdrop.so.1 from here.
  3. The libdir that meson was configured with (simdrop/_build_config.py, written at install time;
     it matters when the package was installed elsewhere with -Dpython_install_dir).
  4. The system's dynamic loader: ctypes.util.find_library('simdrop'), then 'libsimdrop.so.1'.
In 2-4 the first library that loads and has a fitting version wins; the ImportError raised when
none does names every place that was tried, with what was found there and why it was passed over.

Version: the library must have the major version of this package and at least the minor version
REQUIRED names (the release that added the newest function declared below; docs/ABI.md: a 1.x
library has every function of the 1.y releases before it). The version is read from
simdrop_version()'s "MAJOR.MINOR.PATCH" string, which every release has had.

Pointers are declared as c_void_p, so callers pass plain integer addresses (torch's data_ptr(),
numpy's ctypes.data, or None for NULL) with no per-call conversion; the comment above each
declaration is the C prototype, which says what each pointer points to.
"""
import ctypes
import ctypes.util
import os
import re

_SONAME = "libsimdrop.so.1"
# The oldest library this module's declarations fit: 1.1 added the f64/bf16/f16, group, alpha,
# fused and thread functions declared below, 1.2 dropout without rescaling (simdrop_unscaled_*),
# the channels-last (NHWC) group functions, and the block, dbias_reduce and site seed functions.
REQUIRED = (1, 2)
_NEED = f"simdrop >= {REQUIRED[0]}.{REQUIRED[1]} and < {REQUIRED[0] + 1}"
_WHEEL_LIBRARY = "libsimdrop.so"  # unversioned: a wheel cannot hold the soname's symlinks


def _search():
    """(description, path or name) pairs of the search without $SIMDROP_LIBRARY, in order."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = [("inside the package (a wheel's own copy)", os.path.join(here, _WHEEL_LIBRARY)),
           ("next to the package (meson install layout)",
            os.path.normpath(os.path.join(here, "..", "..", "..", _SONAME)))]
    try:
        from . import _build_config  # written by meson install; absent in a source checkout
        out.append(("configured libdir", os.path.join(_build_config.LIBDIR, _SONAME)))
    except ImportError:
        pass
    found = ctypes.util.find_library("simdrop")
    if found:
        out.append(("ctypes.util.find_library('simdrop')", found))
    out.append(("the dynamic loader's search path", _SONAME))
    return out


def parse_version(text):
    """(major, minor, patch) from a version string "MAJOR.MINOR.PATCH[anything]", or None."""
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in m.groups()) if m else None


def version_problem(version):
    """Why a library of version (major, minor, patch) cannot serve this package, or None."""
    if version[0] != REQUIRED[0] or version[1] < REQUIRED[1]:
        return f"version {'.'.join(map(str, version))}; this package needs {_NEED}"
    return None


def open_fitting(name, version_function="simdrop_version", what="a simdrop library"):
    """(CDLL, version string) of the library `name` if it loads and its version fits, else
    (None, why not). version_function: the library's "MAJOR.MINOR.PATCH" function (the CUDA
    twin has its own, _cuda.py)."""
    try:
        cdll = ctypes.CDLL(name)
    except OSError as exc:
        return None, str(exc)
    try:
        fn = getattr(cdll, version_function)
    except AttributeError:
        return None, f"it has no {version_function}(): not {what}"
    fn.restype = ctypes.c_char_p
    fn.argtypes = []
    text = (fn() or b"").decode("ascii", "replace")
    version = parse_version(text)
    if version is None:
        return None, f"its {version_function}() returned {text!r}, not MAJOR.MINOR.PATCH"
    problem = version_problem(version)
    return (None, problem) if problem else (cdll, text)


def first_fitting(candidates, opener):
    """(CDLL, name, version string) of the first of the (description, path or name) candidates
    that opener (open_fitting with its arguments) accepts; (None, lines saying why each of them
    was passed over)."""
    tried = []
    for where, name in candidates:
        if os.sep in name and not os.path.exists(name):
            tried.append(f"  {where}: {name} (no such file)")
            continue
        cdll, info = opener(name)
        if cdll is not None:
            return cdll, name, info
        tried.append(f"  {where}: {name} ({info})")
    return None, tried


def _load():
    env = os.environ.get("SIMDROP_LIBRARY")
    if env:
        cdll, info = open_fitting(env)
        if cdll is not None:
            return cdll, env, info
        instead = [f"  {where}: {name}" for where, name in _search()[:2] if os.path.exists(name)]
        raise ImportError(
            f"simdrop: cannot use SIMDROP_LIBRARY={env}: {info}.\n"
            + (("Without SIMDROP_LIBRARY the search would try first (found, not loaded):\n"
                + "\n".join(instead) + "\n") if instead else "")
            + f"Point SIMDROP_LIBRARY at a libsimdrop.so of {_NEED}, or unset it.")
    found = first_fitting(_search(), open_fitting)
    if found[0] is not None:
        return found
    raise ImportError(f"simdrop: cannot load the C library libsimdrop ({_NEED}); tried, in order:\n"
                      + "\n".join(found[1])
                      + "\nSet SIMDROP_LIBRARY to the path of libsimdrop.so, or install simdrop "
                        "(meson install) so the package and the library sit side by side.")


lib, path, version_string = _load()

c_int = ctypes.c_int
c_size_t = ctypes.c_size_t
c_double = ctypes.c_double
c_uint64 = ctypes.c_uint64
c_char_p = ctypes.c_char_p
ptr = ctypes.c_void_p  # any data pointer: pass an int address or None
u64_at = c_uint64.from_address  # a live view of the uint64 at an address: .value reads it


def _declare(name, restype, *argtypes):
    try:
        fn = getattr(lib, name)
    except AttributeError:  # the version fits, so the build is broken: say which file and what
        raise ImportError(f"simdrop: {path} (version {version_string}) has no {name}(), which "
                          f"every build of {_NEED} exports; rebuild or reinstall the library, "
                          "or point SIMDROP_LIBRARY at another one") from None
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


# ---- Element dropout ---------------------------------------------------------------------------
# int simdrop_forward_<t>(T *y, uint8_t *mask, const T *x, size_t n, double p, uint64_t seed, uint64_t offset)
simdrop_forward_f32 = _declare("simdrop_forward_f32", c_int, ptr, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_f64 = _declare("simdrop_forward_f64", c_int, ptr, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_bf16 = _declare("simdrop_forward_bf16", c_int, ptr, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_f16 = _declare("simdrop_forward_f16", c_int, ptr, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_backward_<t>(T *dx, const T *dy, const uint8_t *mask, size_t n, double p)
simdrop_backward_f32 = _declare("simdrop_backward_f32", c_int, ptr, ptr, ptr, c_size_t, c_double)
simdrop_backward_f64 = _declare("simdrop_backward_f64", c_int, ptr, ptr, ptr, c_size_t, c_double)
simdrop_backward_bf16 = _declare("simdrop_backward_bf16", c_int, ptr, ptr, ptr, c_size_t, c_double)
simdrop_backward_f16 = _declare("simdrop_backward_f16", c_int, ptr, ptr, ptr, c_size_t, c_double)
# int simdrop_backward_regen_<t>(T *dx, const T *dy, size_t n, double p, uint64_t seed, uint64_t offset)
simdrop_backward_regen_f32 = _declare("simdrop_backward_regen_f32", c_int, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_regen_f64 = _declare("simdrop_backward_regen_f64", c_int, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_regen_bf16 = _declare("simdrop_backward_regen_bf16", c_int, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_regen_f16 = _declare("simdrop_backward_regen_f16", c_int, ptr, ptr, c_size_t, c_double, c_uint64, c_uint64)

# ---- Group dropout -----------------------------------------------------------------------------
# int simdrop_forward_groups_<t>(T *y, uint8_t *mask, const T *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
simdrop_forward_groups_f32 = _declare("simdrop_forward_groups_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_groups_f64 = _declare("simdrop_forward_groups_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_groups_bf16 = _declare("simdrop_forward_groups_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_groups_f16 = _declare("simdrop_forward_groups_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_backward_groups_<t>(T *dx, const T *dy, const uint8_t *mask, size_t groups, size_t group_len, double p)
simdrop_backward_groups_f32 = _declare("simdrop_backward_groups_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_backward_groups_f64 = _declare("simdrop_backward_groups_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_backward_groups_bf16 = _declare("simdrop_backward_groups_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_backward_groups_f16 = _declare("simdrop_backward_groups_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
# int simdrop_backward_groups_regen_<t>(T *dx, const T *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
simdrop_backward_groups_regen_f32 = _declare("simdrop_backward_groups_regen_f32", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_groups_regen_f64 = _declare("simdrop_backward_groups_regen_f64", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_groups_regen_bf16 = _declare("simdrop_backward_groups_regen_bf16", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_groups_regen_f16 = _declare("simdrop_backward_groups_regen_f16", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)

# ---- Alpha dropout -----------------------------------------------------------------------------
# int simdrop_alpha_forward_<t>(T *y, uint8_t *mask, const T *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
simdrop_alpha_forward_f32 = _declare("simdrop_alpha_forward_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_forward_f64 = _declare("simdrop_alpha_forward_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_forward_bf16 = _declare("simdrop_alpha_forward_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_forward_f16 = _declare("simdrop_alpha_forward_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_alpha_backward_<t>(T *dx, const T *dy, const uint8_t *mask, size_t groups, size_t group_len, double p)
simdrop_alpha_backward_f32 = _declare("simdrop_alpha_backward_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_alpha_backward_f64 = _declare("simdrop_alpha_backward_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_alpha_backward_bf16 = _declare("simdrop_alpha_backward_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_alpha_backward_f16 = _declare("simdrop_alpha_backward_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
# int simdrop_alpha_backward_regen_<t>(T *dx, const T *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
simdrop_alpha_backward_regen_f32 = _declare("simdrop_alpha_backward_regen_f32", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_backward_regen_f64 = _declare("simdrop_alpha_backward_regen_f64", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_backward_regen_bf16 = _declare("simdrop_alpha_backward_regen_bf16", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_backward_regen_f16 = _declare("simdrop_alpha_backward_regen_f16", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)

# ---- Dropout without rescaling (1.2) ------------------------------------------------------------
# int simdrop_unscaled_forward_<t>(T *y, uint8_t *mask, const T *x, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
simdrop_unscaled_forward_f32 = _declare("simdrop_unscaled_forward_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_unscaled_forward_f64 = _declare("simdrop_unscaled_forward_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_unscaled_forward_bf16 = _declare("simdrop_unscaled_forward_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_unscaled_forward_f16 = _declare("simdrop_unscaled_forward_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_unscaled_backward_<t>(T *dx, const T *dy, const uint8_t *mask, size_t groups, size_t group_len)   (no p: the factor is 1)
simdrop_unscaled_backward_f32 = _declare("simdrop_unscaled_backward_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t)
simdrop_unscaled_backward_f64 = _declare("simdrop_unscaled_backward_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t)
simdrop_unscaled_backward_bf16 = _declare("simdrop_unscaled_backward_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t)
simdrop_unscaled_backward_f16 = _declare("simdrop_unscaled_backward_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t)
# int simdrop_unscaled_backward_regen_<t>(T *dx, const T *dy, size_t groups, size_t group_len, double p, uint64_t seed, uint64_t offset)
simdrop_unscaled_backward_regen_f32 = _declare("simdrop_unscaled_backward_regen_f32", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_unscaled_backward_regen_f64 = _declare("simdrop_unscaled_backward_regen_f64", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_unscaled_backward_regen_bf16 = _declare("simdrop_unscaled_backward_regen_bf16", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_unscaled_backward_regen_f16 = _declare("simdrop_unscaled_backward_regen_f16", c_int, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# ---- Channels-last group dropout -------------------------------------------------------------
# int simdrop_forward_groups_nhwc_<t>(T *y, uint8_t *mask, const T *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset)
simdrop_forward_groups_nhwc_f32 = _declare("simdrop_forward_groups_nhwc_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_groups_nhwc_f64 = _declare("simdrop_forward_groups_nhwc_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_groups_nhwc_bf16 = _declare("simdrop_forward_groups_nhwc_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_forward_groups_nhwc_f16 = _declare("simdrop_forward_groups_nhwc_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_backward_groups_nhwc_<t>(T *dx, const T *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p)
simdrop_backward_groups_nhwc_f32 = _declare("simdrop_backward_groups_nhwc_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
simdrop_backward_groups_nhwc_f64 = _declare("simdrop_backward_groups_nhwc_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
simdrop_backward_groups_nhwc_bf16 = _declare("simdrop_backward_groups_nhwc_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
simdrop_backward_groups_nhwc_f16 = _declare("simdrop_backward_groups_nhwc_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
# int simdrop_backward_groups_nhwc_regen_<t>(T *dx, const T *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset)
simdrop_backward_groups_nhwc_regen_f32 = _declare("simdrop_backward_groups_nhwc_regen_f32", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_groups_nhwc_regen_f64 = _declare("simdrop_backward_groups_nhwc_regen_f64", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_groups_nhwc_regen_bf16 = _declare("simdrop_backward_groups_nhwc_regen_bf16", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_backward_groups_nhwc_regen_f16 = _declare("simdrop_backward_groups_nhwc_regen_f16", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_alpha_forward_nhwc_<t>(T *y, uint8_t *mask, const T *x, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset)
simdrop_alpha_forward_nhwc_f32 = _declare("simdrop_alpha_forward_nhwc_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_forward_nhwc_f64 = _declare("simdrop_alpha_forward_nhwc_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_forward_nhwc_bf16 = _declare("simdrop_alpha_forward_nhwc_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_forward_nhwc_f16 = _declare("simdrop_alpha_forward_nhwc_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_alpha_backward_nhwc_<t>(T *dx, const T *dy, const uint8_t *mask, size_t samples, size_t spatial, size_t channels, double p)
simdrop_alpha_backward_nhwc_f32 = _declare("simdrop_alpha_backward_nhwc_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
simdrop_alpha_backward_nhwc_f64 = _declare("simdrop_alpha_backward_nhwc_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
simdrop_alpha_backward_nhwc_bf16 = _declare("simdrop_alpha_backward_nhwc_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
simdrop_alpha_backward_nhwc_f16 = _declare("simdrop_alpha_backward_nhwc_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double)
# int simdrop_alpha_backward_nhwc_regen_<t>(T *dx, const T *dy, size_t samples, size_t spatial, size_t channels, double p, uint64_t seed, uint64_t offset)
simdrop_alpha_backward_nhwc_regen_f32 = _declare("simdrop_alpha_backward_nhwc_regen_f32", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_backward_nhwc_regen_f64 = _declare("simdrop_alpha_backward_nhwc_regen_f64", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_backward_nhwc_regen_bf16 = _declare("simdrop_alpha_backward_nhwc_regen_bf16", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_alpha_backward_nhwc_regen_f16 = _declare("simdrop_alpha_backward_nhwc_regen_f16", c_int, ptr, ptr, c_size_t, c_size_t, c_size_t, c_double, c_uint64, c_uint64)

# ---- Fused bias + dropout + residual -----------------------------------------------------------
# int simdrop_bias_dropout_add_<t>(T *out, uint8_t *mask, const T *x, const T *bias, const T *residual, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset)
simdrop_bias_dropout_add_f32 = _declare("simdrop_bias_dropout_add_f32", c_int, ptr, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_bias_dropout_add_f64 = _declare("simdrop_bias_dropout_add_f64", c_int, ptr, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_bias_dropout_add_bf16 = _declare("simdrop_bias_dropout_add_bf16", c_int, ptr, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_bias_dropout_add_f16 = _declare("simdrop_bias_dropout_add_f16", c_int, ptr, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_bias_dropout_add_backward_<t>(T *dx, A *dbias, const T *dout, const uint8_t *mask, size_t rows, size_t cols, double p)   A: float, double for f64
simdrop_bias_dropout_add_backward_f32 = _declare("simdrop_bias_dropout_add_backward_f32", c_int, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_bias_dropout_add_backward_f64 = _declare("simdrop_bias_dropout_add_backward_f64", c_int, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_bias_dropout_add_backward_bf16 = _declare("simdrop_bias_dropout_add_backward_bf16", c_int, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
simdrop_bias_dropout_add_backward_f16 = _declare("simdrop_bias_dropout_add_backward_f16", c_int, ptr, ptr, ptr, ptr, c_size_t, c_size_t, c_double)
# int simdrop_bias_dropout_add_backward_regen_<t>(T *dx, A *dbias, const T *dout, size_t rows, size_t cols, double p, uint64_t seed, uint64_t offset)
simdrop_bias_dropout_add_backward_regen_f32 = _declare("simdrop_bias_dropout_add_backward_regen_f32", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_bias_dropout_add_backward_regen_f64 = _declare("simdrop_bias_dropout_add_backward_regen_f64", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_bias_dropout_add_backward_regen_bf16 = _declare("simdrop_bias_dropout_add_backward_regen_bf16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)
simdrop_bias_dropout_add_backward_regen_f16 = _declare("simdrop_bias_dropout_add_backward_regen_f16", c_int, ptr, ptr, ptr, c_size_t, c_size_t, c_double, c_uint64, c_uint64)

# ---- Blocks of a global tensor (since 1.2) -------------------------------------------------------
class simdrop_block(ctypes.Structure):
    """typedef struct simdrop_block { size_t rows, cols, row0, col0, global_cols, ldx, ldy; }"""
    _fields_ = [(f, c_size_t) for f in ("rows", "cols", "row0", "col0", "global_cols", "ldx", "ldy")]


blockp = ctypes.POINTER(simdrop_block)
for _t in ("f32", "f64", "bf16", "f16"):
    # int simdrop_forward_block_<t>(T *y, uint8_t *mask, const T *x, const simdrop_block *b, double p, uint64_t seed, uint64_t offset)
    globals()[f"simdrop_forward_block_{_t}"] = _declare(f"simdrop_forward_block_{_t}", c_int, ptr, ptr, ptr, blockp, c_double, c_uint64, c_uint64)
    # int simdrop_backward_block_<t>(T *dx, const T *dy, const uint8_t *mask, const simdrop_block *b, double p)
    globals()[f"simdrop_backward_block_{_t}"] = _declare(f"simdrop_backward_block_{_t}", c_int, ptr, ptr, ptr, blockp, c_double)
    # int simdrop_backward_regen_block_<t>(T *dx, const T *dy, const simdrop_block *b, double p, uint64_t seed, uint64_t offset)
    globals()[f"simdrop_backward_regen_block_{_t}"] = _declare(f"simdrop_backward_regen_block_{_t}", c_int, ptr, ptr, blockp, c_double, c_uint64, c_uint64)
    # int simdrop_bias_dropout_add_block_<t>(T *out, uint8_t *mask, const T *x, const T *bias, const T *residual, const simdrop_block *b, double p, uint64_t seed, uint64_t offset)
    globals()[f"simdrop_bias_dropout_add_block_{_t}"] = _declare(f"simdrop_bias_dropout_add_block_{_t}", c_int, ptr, ptr, ptr, ptr, ptr, blockp, c_double, c_uint64, c_uint64)
    # int simdrop_bias_dropout_add_backward_block_<t>(T *dx, A *dbias, const T *dout, const uint8_t *mask, const simdrop_block *b, size_t granule, double p)
    globals()[f"simdrop_bias_dropout_add_backward_block_{_t}"] = _declare(f"simdrop_bias_dropout_add_backward_block_{_t}", c_int, ptr, ptr, ptr, ptr, blockp, c_size_t, c_double)
    # int simdrop_bias_dropout_add_backward_regen_block_<t>(T *dx, A *dbias, const T *dout, const simdrop_block *b, size_t granule, double p, uint64_t seed, uint64_t offset)
    globals()[f"simdrop_bias_dropout_add_backward_regen_block_{_t}"] = _declare(f"simdrop_bias_dropout_add_backward_regen_block_{_t}", c_int, ptr, ptr, ptr, blockp, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_dbias_reduce_f32(float *dbias, const float *partials, size_t granules, size_t cols), and _f64 with double
simdrop_dbias_reduce_f32 = _declare("simdrop_dbias_reduce_f32", c_int, ptr, ptr, c_size_t, c_size_t)
simdrop_dbias_reduce_f64 = _declare("simdrop_dbias_reduce_f64", c_int, ptr, ptr, c_size_t, c_size_t)
# uint64_t simdrop_site_key(const char *name); uint64_t simdrop_site_seed(uint64_t base, uint64_t site_key, uint64_t step)
simdrop_site_key = _declare("simdrop_site_key", c_uint64, c_char_p)
simdrop_site_seed = _declare("simdrop_site_seed", c_uint64, c_uint64, c_uint64, c_uint64)

# ---- Masks -------------------------------------------------------------------------------------
# int simdrop_mask(uint8_t *mask, size_t n, double p, uint64_t seed, uint64_t offset)
simdrop_mask = _declare("simdrop_mask", c_int, ptr, c_size_t, c_double, c_uint64, c_uint64)
# int simdrop_mask_to_bytes(uint8_t *bytes, const uint8_t *mask, size_t n)
simdrop_mask_to_bytes = _declare("simdrop_mask_to_bytes", c_int, ptr, ptr, c_size_t)
# int simdrop_mask_from_bytes(uint8_t *mask, const uint8_t *bytes, size_t n)
simdrop_mask_from_bytes = _declare("simdrop_mask_from_bytes", c_int, ptr, ptr, c_size_t)

# ---- Threads -----------------------------------------------------------------------------------
# typedef void (*simdrop_parallel_fn)(void *ctx, size_t ntasks, void (*task)(void *arg, size_t i), void *arg)
simdrop_task_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, c_size_t)
simdrop_parallel_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, c_size_t, simdrop_task_fn, ctypes.c_void_p)
# int simdrop_set_num_threads(int n)
simdrop_set_num_threads = _declare("simdrop_set_num_threads", c_int, c_int)
# int simdrop_get_num_threads(void)
simdrop_get_num_threads = _declare("simdrop_get_num_threads", c_int)
# int simdrop_set_parallel(simdrop_parallel_fn run, void *ctx)
simdrop_set_parallel = _declare("simdrop_set_parallel", c_int, simdrop_parallel_fn, ctypes.c_void_p)
# int simdrop_set_min_task_bytes(size_t bytes)
simdrop_set_min_task_bytes = _declare("simdrop_set_min_task_bytes", c_int, c_size_t)


class simdrop_threading(ctypes.Structure):  # typedef struct simdrop_threading
    _fields_ = [("num_threads", c_int), ("run", simdrop_parallel_fn), ("ctx", ctypes.c_void_p),
                ("min_task_bytes", c_size_t)]


# int simdrop_set_local_threading(const simdrop_threading *t)
simdrop_set_local_threading = _declare("simdrop_set_local_threading", c_int, ctypes.POINTER(simdrop_threading))
# int simdrop_get_local_threading(simdrop_threading *t)
simdrop_get_local_threading = _declare("simdrop_get_local_threading", c_int, ctypes.POINTER(simdrop_threading))

# ---- Kernel paths ------------------------------------------------------------------------------
# const char *simdrop_isa(void)
simdrop_isa = _declare("simdrop_isa", c_char_p)
# int simdrop_set_isa(const char *name)
simdrop_set_isa = _declare("simdrop_set_isa", c_int, c_char_p)
# const char *const *simdrop_isa_list(void)
simdrop_isa_list = _declare("simdrop_isa_list", ctypes.POINTER(c_char_p))
# int simdrop_isa_supported(const char *name)
simdrop_isa_supported = _declare("simdrop_isa_supported", c_int, c_char_p)

# const char *simdrop_strerror(int status)
simdrop_strerror = _declare("simdrop_strerror", c_char_p, c_int)
# const char *simdrop_last_error(void)
simdrop_last_error = _declare("simdrop_last_error", c_char_p)
# const char *simdrop_version(void)
simdrop_version = _declare("simdrop_version", c_char_p)
# unsigned simdrop_version_number(void)
simdrop_version_number = _declare("simdrop_version_number", ctypes.c_uint)

# enum simdrop_status
SIMDROP_OK = 0
SIMDROP_ENULL = -1
SIMDROP_EPROB = -2
SIMDROP_ERANGE = -3
SIMDROP_ESIZE = -4
SIMDROP_EOVERLAP = -5
SIMDROP_EISA_UNKNOWN = -6
SIMDROP_EISA_UNAVAILABLE = -7
SIMDROP_ENOMEM = -8
SIMDROP_ETHREADS = -9
SIMDROP_EPARALLEL = -10
SIMDROP_EDEVICE = -11

SIMDROP_MASK_SPEC_VERSION = 1
