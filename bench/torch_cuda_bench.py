"""torch_cuda_bench.py: PyTorch's CUDA dropout (eager and torch.compile) at 256M elements, the baseline for bench/cuda_bench.cu, and simdrop.torch on the same tensors."""
# Usage: python3 bench/torch_cuda_bench.py [n] [reps]. Exits 77 without torch or a CUDA device.
# simdrop.torch is timed too where it imports (PYTHONPATH=python, SIMDROP_LIBRARY and
# SIMDROP_CUDA_LIBRARY set, as tools/gpu_check.sh sets them): at n, and at 4096 elements, where
# the time per call is the host's (Python, ctypes, the launch), against F.dropout's.
import os
import sys

try:
    import torch
except ImportError:
    print("torch_cuda_bench: no torch: skipped")
    sys.exit(77)
if not torch.cuda.is_available():
    print("torch_cuda_bench: torch %s sees no CUDA device: skipped" % torch.__version__)
    sys.exit(77)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 256 << 20
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
p = 0.1
print("torch %s, CUDA %s, %s, n = %d, p = %.2f, %d reps" % (
    torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0), n, p, reps))


def timed(name, nbytes, fn, elems=None):
    """Best and median of reps calls, CUDA events around each; bytes are read plus written."""
    elems = elems or n
    fn()
    torch.cuda.synchronize()
    ms = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ms.append(a.elapsed_time(b))
    ms.sort()
    best, med = ms[0], ms[len(ms) // 2]
    print("%-48s best %8.3f ms  median %8.3f ms  %7.2f Gelem/s  %7.1f GB/s" % (
        name, best, med, elems / (best * 1e6), nbytes / (best * 1e6)))


def dropout(t):
    return torch.nn.functional.dropout(t, p=p, training=True)


try:
    from simdrop.torch import functional as simdrop_F
    print("simdrop.torch: on libsimdrop_cuda (SIMDROP_CUDA_LIBRARY=%s)" % os.environ.get(
        "SIMDROP_CUDA_LIBRARY", "(beside libsimdrop)"))
except Exception as e:  # not built or not on the path: PyTorch's rows only
    simdrop_F = None
    print("simdrop.torch: not timed: %s: %s" % (type(e).__name__, str(e)[:200]))

compiled = torch.compile(dropout)
torch.manual_seed(1)
for dtype, size in ((torch.float32, 4), (torch.bfloat16, 2)):
    x = torch.randn(n, device="cuda", dtype=dtype)
    y = torch.empty_like(x)
    tag = str(dtype).replace("torch.", "")
    timed("copy %s (y.copy_(x))" % tag, 2 * size * n, lambda: y.copy_(x))
    # eager dropout writes y and a bool mask (n bytes): PyTorch's fused_dropout
    timed("F.dropout %s eager (y + bool mask)" % tag, 2 * size * n + n, lambda: dropout(x))
    try:
        timed("F.dropout %s torch.compile (y only)" % tag, 2 * size * n, lambda: compiled(x))
    except Exception as e:  # torch.compile needs triton and a C compiler on the host
        print("F.dropout %s torch.compile: FAILED: %s: %s" % (tag, type(e).__name__, str(e)[:300]))
    if simdrop_F is not None:
        timed("simdrop.torch dropout %s (y only)" % tag, 2 * size * n, lambda: simdrop_F.dropout(x, p))
        xg = x.detach().requires_grad_()  # autograd keeps the 1-bit mask (n / 8 bytes)
        timed("simdrop.torch dropout %s (y + 1-bit mask)" % tag, 2 * size * n + n // 8,
              lambda: simdrop_F.dropout(xg, p))
        small = x[:4096]
        timed("F.dropout %s eager, 4096 elements" % tag, 2 * size * 4096 + 4096,
              lambda: dropout(small), 4096)
        timed("simdrop.torch dropout %s, 4096 elements" % tag, 2 * size * 4096,
              lambda: simdrop_F.dropout(small, p), 4096)
        del xg, small
    del x, y
    torch.cuda.empty_cache()
