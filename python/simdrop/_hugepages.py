"""_hugepages.py: ask Linux for transparent huge pages on large new buffers before first touch.

A fresh multi-megabyte tensor is mapped by the allocator on demand: its first write takes one page
fault per 4 KiB page, which for a 64 MiB tensor costs more than the dropout pass itself (about
25 ms against 15 ms on the benchmark VM). madvise(MADV_HUGEPAGE) on the untouched buffer lets the
kernel map it in 2 MiB pages instead (64 MiB: 33 ms -> 11 ms to allocate and fill). PyTorch 2.x
does the same for its own allocations behind THP_MEM_ALLOC_ENABLE=1; 1.13 does not.

Only advice: where it does not apply (not Linux, THP disabled, SIMDROP_HUGEPAGES=0) nothing
changes but the speed. Not part of the C API, so not in _lib.py.
"""
import ctypes
import os
import sys

THRESHOLD = 4 << 20   # bytes: at least one aligned 2 MiB page inside the buffer
_HUGE = 1 << 21
_MADV_HUGEPAGE = 14   # Linux, every architecture

_madvise = None
if sys.platform.startswith("linux") and os.environ.get("SIMDROP_HUGEPAGES", "1") != "0":
    try:
        _madvise = ctypes.CDLL(None).madvise
        _madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        _madvise.restype = ctypes.c_int
    except (OSError, AttributeError):
        _madvise = None


def advise(addr, nbytes):
    """Advise huge pages for the 2 MiB-aligned part of [addr, addr + nbytes); errors are ignored."""
    if _madvise is None or nbytes < THRESHOLD:
        return
    start = (addr + _HUGE - 1) & ~(_HUGE - 1)
    end = (addr + nbytes) & ~(_HUGE - 1)
    if end > start:
        _madvise(start, end - start, _MADV_HUGEPAGE)
