"""torch_build_flags.py: what meson needs to compile simdrop.torch._glue against this Python's torch.

Prints three lines: torch's C++ include directories and its library directories (';'-separated,
only those that exist: Debian's torch names the directories of the pip layout, and has its
headers in /usr/include, the compiler's own path, and /usr/include/torch/csrc/api/include), and
torch's _GLIBCXX_USE_CXX11_ABI (0 or 1: the extension must use the same std::string). Exits
non-zero (an ImportError) where this Python has no torch."""
import os

import torch
import torch.utils.cpp_extension as ext

include = ext.include_paths() + ["/usr/include/torch/csrc/api/include"]
print(";".join(d for d in include if os.path.isdir(d)))
print(";".join(d for d in ext.library_paths() if os.path.isdir(d)))
print(int(torch._C._GLIBCXX_USE_CXX11_ABI))
