"""_core.py: what the numpy API and simdrop.torch share: exceptions for the C status codes,
argument checks that name the argument, and the library-wide settings (threads, kernel path).

Needs neither numpy nor torch.
"""
import math

from . import _lib


class SimdropError(Exception):
    """A C function of simdrop returned an error status.

    `status` is the C code (a negative int), `function` the C function's name; the message is
    the library's account of the failed call (simdrop_last_error: the arguments at fault and
    their values), else simdrop_strerror's text. Each code has its own subclass, which also
    derives from the builtin exception a Python caller expects (ValueError for bad arguments)."""

    def __init__(self, status, function, message=None):
        self.status = status
        self.function = function
        if message is None:
            message = f"{function}: {strerror(status)}"
        super().__init__(message)


class NullPointerError(SimdropError, ValueError):
    """SIMDROP_ENULL: a required buffer is missing."""


class ProbabilityError(SimdropError, ValueError):
    """SIMDROP_EPROB: p is NaN or outside [0, 1]."""


class RangeError(SimdropError, ValueError):
    """SIMDROP_ERANGE: offset + count exceeds 2^64."""


class SizeError(SimdropError, ValueError):
    """SIMDROP_ESIZE: the sizes overflow, or group_len == 0 with groups > 0."""


class OverlapError(SimdropError, ValueError):
    """SIMDROP_EOVERLAP: two buffers overlap in a way the function does not allow."""


class IsaUnknownError(SimdropError, ValueError):
    """SIMDROP_EISA_UNKNOWN: no kernel path has this name."""


class IsaUnavailableError(SimdropError, RuntimeError):
    """SIMDROP_EISA_UNAVAILABLE: the path is not built here or this CPU/OS cannot run it."""


class OutOfMemoryError(SimdropError, MemoryError):
    """SIMDROP_ENOMEM: scratch memory could not be had."""


class DeviceError(SimdropError, RuntimeError):
    """SIMDROP_EDEVICE: a call of the GPU runtime failed (the message has the runtime's text)."""


class ThreadsError(SimdropError, RuntimeError):
    """SIMDROP_ETHREADS: bad thread count (also from SIMDROP_NUM_THREADS), or no thread started."""


class ParallelError(SimdropError, RuntimeError):
    """SIMDROP_EPARALLEL: an engine's thread pool did not run every task exactly once."""


for _cls in (SimdropError, NullPointerError, ProbabilityError, RangeError, SizeError, OverlapError,
             IsaUnknownError, IsaUnavailableError, OutOfMemoryError, DeviceError, ThreadsError,
             ParallelError):
    _cls.__module__ = "simdrop"  # shown as simdrop.ProbabilityError, where they are exported

_ERRORS = {
    _lib.SIMDROP_ENULL: NullPointerError,
    _lib.SIMDROP_EPROB: ProbabilityError,
    _lib.SIMDROP_ERANGE: RangeError,
    _lib.SIMDROP_ESIZE: SizeError,
    _lib.SIMDROP_EOVERLAP: OverlapError,
    _lib.SIMDROP_EISA_UNKNOWN: IsaUnknownError,
    _lib.SIMDROP_EISA_UNAVAILABLE: IsaUnavailableError,
    _lib.SIMDROP_ENOMEM: OutOfMemoryError,
    _lib.SIMDROP_ETHREADS: ThreadsError,
    _lib.SIMDROP_EPARALLEL: ParallelError,
    _lib.SIMDROP_EDEVICE: DeviceError,
}

# A GPU library says why its last call failed in its own words (simdrop_cuda_last_error():
# the function, the argument or the runtime's error): by the prefix of its functions' names.
LAST_ERROR = {}


def _cpu_last_error(status, function):
    """simdrop_last_error()'s text when it is about this failure: it names the function first
    and the code's name last ("simdrop_forward_block_f32: col0 + cols = 4 + 8 exceeds global_cols
    = 8: ... (SIMDROP_ESIZE)"); only a failing call writes it, so an older one may be left."""
    text = _lib.simdrop_last_error().decode(errors="replace")
    name = _STATUS_NAMES.get(status)
    if name and text.startswith(function + ": ") and text.endswith(f"({name})"):
        return text
    return None


_STATUS_NAMES = {getattr(_lib, n): n for n in dir(_lib) if n.startswith("SIMDROP_E")}


def strerror(status):
    """simdrop_strerror(status) as a str; ValueError for a status outside C's int (ctypes would
    wrap it onto another code)."""
    status = int(status)
    if not -2**31 <= status < 2**31:
        raise ValueError(f"status: must be a C int, in [-2^31, 2^31), got {status}")
    return _lib.simdrop_strerror(status).decode()


def raise_status(status, function):
    """Raise the exception for C status `status` returned by C function `function`."""
    for prefix, last_error in LAST_ERROR.items():
        if function.startswith(prefix):
            raise _ERRORS.get(status, SimdropError)(status, function, last_error() or None)
    raise _ERRORS.get(status, SimdropError)(status, function, _cpu_last_error(status, function))


def check(status, function):
    """Return if status is 0, else raise its exception."""
    if status:
        raise_status(status, function)


# ---- argument checks (shared wording: the message names the argument) ----------------------

U64 = (1 << 64) - 1


def _not_a_number(v):
    """What float() or __index__ would turn into a number though it is none: text, a bool (also
    numpy's and torch's), an array or tensor of one element but some dimensions."""
    return (isinstance(v, (str, bytes, bytearray, bool)) or getattr(v, "ndim", 0) != 0
            or str(getattr(v, "dtype", "")) in ("bool", "torch.bool"))


def check_p(p, name="p"):
    """p as a float in [0, 1]; TypeError for what is not a real number (a str, a bool, an array
    of some dimensions), ValueError for NaN or out of range; both name the argument."""
    try:
        if type(p) is not float and _not_a_number(p):  # (a float, the common case, is one)
            raise TypeError
        p = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: dropout probability must be a real number, got {type(p).__name__}") from None
    if not (0.0 <= p <= 1.0):  # also catches NaN
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")
    return p


def check_u64(v, name):
    """v as an int in [0, 2^64); TypeError/ValueError naming the argument."""
    if type(v) is not int and (_not_a_number(v) or not hasattr(v, "__index__")):
        raise TypeError(f"{name}: must be an integer in [0, 2^64), got {type(v).__name__}")
    v = v.__index__()
    if not 0 <= v <= U64:
        raise ValueError(f"{name}: must be in [0, 2^64), got {v}")
    return v


def check_offset(offset, count, name="offset"):
    """offset as an int with offset + count <= 2^64 (the C library's SIMDROP_ERANGE, named)."""
    offset = check_u64(offset, name)
    if offset + count > U64 + 1:
        raise ValueError(f"{name}: offset + count exceeds 2^64 (offset {offset}, count {count})")
    return offset


def is_nan(p):
    return isinstance(p, float) and math.isnan(p)


# ---- library-wide settings ---------------------------------------------------------------------

def version():
    """The C library's version string (simdrop_version())."""
    return _lib.simdrop_version().decode()


def library_path():
    """The path or name the C library was loaded from."""
    return _lib.path


def set_num_threads(n):
    """Threads the C library may use for one call (default 1); results never depend on it."""
    if type(n) is not int and (_not_a_number(n) or not hasattr(n, "__index__")):
        raise TypeError(f"n: must be an int >= 1, got {type(n).__name__}")
    n = n.__index__()
    if not 1 <= n <= 2**31 - 1:
        raise ValueError(f"n: thread count must be between 1 and 2^31 - 1 (a C int), got {n}")
    check(_lib.simdrop_set_num_threads(n), "simdrop_set_num_threads")


def get_num_threads():
    """The thread count in use (raises ThreadsError while SIMDROP_NUM_THREADS is bad)."""
    n = _lib.simdrop_get_num_threads()
    if n < 0:
        raise_status(n, "simdrop_get_num_threads")
    return n


def isa():
    """The kernel path in use, one of isa_list() (e.g. 'avx2', 'scalar', 'neon-simde'), or 'none'."""
    return _lib.simdrop_isa().decode()


def _isa_name(name, function):
    """name as the C string `function` reads. The C string would end at a NUL ("avx2\\x00junk"
    read as "avx2"), so a name with one is refused as the unknown name it is."""
    if not isinstance(name, str):
        raise TypeError(f"name: must be a str, got {type(name).__name__}")
    if "\0" in name:
        raise IsaUnknownError(_lib.SIMDROP_EISA_UNKNOWN, function,
                              f"{function}: name {name!r} contains a NUL character: no kernel path "
                              "has such a name")
    return name.encode()


def set_isa(name):
    """Force a kernel path by name ('auto' or '' = the best this CPU supports)."""
    check(_lib.simdrop_set_isa(_isa_name(name, "simdrop_set_isa")), "simdrop_set_isa")


def isa_list():
    """Every kernel path built into the library: native ones best first, scalar, then emulated."""
    arr = _lib.simdrop_isa_list()
    names = []
    i = 0
    while arr[i] is not None:
        names.append(arr[i].decode())
        i += 1
    return names


def isa_supported(name):
    """True if this CPU and OS can run the path; IsaUnknownError for a name no path has."""
    rc = _lib.simdrop_isa_supported(_isa_name(name, "simdrop_isa_supported"))
    if rc < 0:
        raise_status(rc, "simdrop_isa_supported")
    return bool(rc)
