"""_cuda.py: libsimdrop_cuda through ctypes, found and loaded on first use (simdrop.torch's CUDA tensors).

Each function of the CUDA library is the C library's function of the same name with the prefix
simdrop_cuda_ and a CUDA stream last (include/simdrop_cuda.h), so its ctypes declaration is
made here from _lib.py's declaration of the CPU function, with the stream (a cudaStream_t, passed
as an integer handle) appended: the two lists cannot drift apart.

Nothing is opened until the first call needs it: a process that never hands simdrop a CUDA
tensor never loads the CUDA library or its runtime. Where it is found, as _lib.py finds the C
library:
  1. $SIMDROP_CUDA_LIBRARY: the path of the shared library; when it is set, the only one tried.
  2. Beside the C library this package loaded (meson installs both in one libdir):
     libsimdrop_cuda.so.1, then libsimdrop_cuda.so.
  3. The system's dynamic loader: libsimdrop_cuda.so.1.
The first that loads and has a fitting version (_lib.version_problem) wins; the error raised
when none does names every place tried and why each was passed over.
"""
import ctypes
import os
import threading

from . import _lib

_SONAME = "libsimdrop_cuda.so.1"
_PREFIX = "simdrop_cuda_"
_lock = threading.Lock()
_loaded = []  # [Library] once loaded


class CudaLibraryError(RuntimeError):
    """libsimdrop_cuda could not be found or loaded (the message says where it looked)."""


class Library:
    """A loaded libsimdrop_cuda: `function(cpu_name)` is the declared CUDA twin of the C
    library's function `cpu_name` (e.g. "simdrop_forward_f32"), taking its arguments and then a
    stream; last_error() the calling thread's text of the last failure."""

    def __init__(self, cdll, path, version):
        self.cdll, self.path, self.version = cdll, path, version
        self._last_error = self._declare("last_error", ctypes.c_char_p, [])

    def _declare(self, suffix, restype, argtypes):
        try:
            fn = getattr(self.cdll, _PREFIX + suffix)
        except AttributeError:  # the version fits, so the build is broken: say which file
            raise CudaLibraryError(f"simdrop: {self.path} (version {self.version}) has no "
                                   f"{_PREFIX}{suffix}(), which every build of it exports; "
                                   "rebuild or reinstall it") from None
        fn.restype = restype
        fn.argtypes = argtypes
        return fn

    def function(self, cpu_name):
        cpu = getattr(_lib, cpu_name)
        return self._declare(cpu_name[len("simdrop_"):], cpu.restype,
                             list(cpu.argtypes) + [ctypes.c_void_p])

    def last_error(self):
        return (self._last_error() or b"").decode("utf-8", "replace")


def _candidates():
    """(description, path or name) pairs to try without $SIMDROP_CUDA_LIBRARY, in order."""
    beside = os.path.dirname(_lib.path) if os.sep in _lib.path else None
    out = []
    if beside:
        for name in (_SONAME, "libsimdrop_cuda.so"):
            out.append((f"beside the C library ({_lib.path})", os.path.join(beside, name)))
    out.append(("the dynamic loader's search path", _SONAME))
    return out


def _open_fitting(name):
    """(CDLL, version string) of a fitting libsimdrop_cuda, or (None, why not)."""
    return _lib.open_fitting(name, "simdrop_cuda_version", "libsimdrop_cuda")


def _open(name):
    """(Library, None) or (None, why not)."""
    cdll, info = _open_fitting(name)
    return (None, info) if cdll is None else (Library(cdll, name, info), None)


def _load():
    env = os.environ.get("SIMDROP_CUDA_LIBRARY")
    if env:
        lib, why = _open(env)
        if lib is None:
            raise CudaLibraryError(f"simdrop: cannot use SIMDROP_CUDA_LIBRARY={env}: {why}")
        return lib
    found = _lib.first_fitting(_candidates(), _open_fitting)
    if found[0] is not None:
        return Library(*found)
    raise CudaLibraryError(
        "simdrop: CUDA tensors need libsimdrop_cuda (built where nvcc is found, meson option "
        "-Dcuda), which was not found; tried, in order:\n" + "\n".join(found[1])
        + "\nSet SIMDROP_CUDA_LIBRARY to its path, or install it beside libsimdrop.")


def library():
    """The loaded libsimdrop_cuda (loaded on the first call; CudaLibraryError if it cannot be)."""
    if not _loaded:
        with _lock:
            if not _loaded:
                _loaded.append(_load())
    return _loaded[0]
