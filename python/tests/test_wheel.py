"""`pip wheel` and `pip install` offline into a fresh virtual environment, as the README says: the
wheel carries the C library inside the package and nothing else of meson's install, its build
left out the tests, examples, benchmark and emulated twins, and the installed package loads its
own library (no SIMDROP_LIBRARY, PYTHONPATH or meson install; a build tree's library on
LD_LIBRARY_PATH is not taken instead) and gives the bits of docs/mask_spec_v1.py through numpy
and torch.

Usage: test_wheel.py SOURCE_ROOT BUILD_TREE_LIBRARY GLUE VERSION   (meson test python-wheel; most
       of its time is the wheel's build of the library)"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

import _testenv

# GLUE: the extension module's file name suffix (EXT_SUFFIX) where the build tree has
# simdrop.torch._glue, so that the wheel must have it too (its python imports the same torch; the
# wheel is configured with the build tree's choice), else "none"; VERSION: meson's project version
SRC, BUILD_TREE_LIBRARY, GLUE, VERSION = sys.argv[1:5]
sys.path.insert(0, os.path.join(SRC, "docs"))
import mask_spec_v1 as spec  # noqa: E402  (the independent implementation of the bits)

# Run by the venv's python: what was imported, what was loaded, and one numpy and one torch call.
IN_VENV = r"""
import importlib.metadata, json, os, sys
import numpy as np, torch
import simdrop, simdrop.torch as sdt
x = (np.arange(300, dtype=np.float32) - 150.0) * np.float32(0.37)
y, mask = simdrop.dropout(x, 0.25, seed=2024, offset=4000, return_mask=True)
g = torch.Generator().manual_seed(7)
seed = sdt.draw_seed(g)
yt = sdt.functional.dropout(torch.from_numpy(x), 0.25, generator=torch.Generator().manual_seed(7))
torch.manual_seed(11)  # a tiny call on the default generator: the C++ route where the wheel has it
tiny = sdt.functional.dropout(torch.from_numpy(x[:100]), 0.25)
torch.manual_seed(11)
tiny_seed = sdt.draw_seed()
with open("/proc/self/maps") as f:
    mapped = sorted({line.split()[-1] for line in f if "libsimdrop" in line})
json.dump({"package": simdrop.__file__, "library": os.path.realpath(simdrop.library_path()),
           "mapped": mapped, "isa_list": simdrop.isa_list(), "x": x.view(np.uint32).tolist(),
           "y": y.view(np.uint32).tolist(), "mask": mask.tobytes().hex(),
           "torch_seed": seed, "torch_y": yt.numpy().view(np.uint32).tolist(),
           "native": sdt.NATIVE, "tiny_seed": tiny_seed, "tiny": tiny.numpy().view(np.uint32).tolist(),
           "versions": [simdrop.__version__, importlib.metadata.version("simdrop"), simdrop.version()]},
          sys.stdout)
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout


def source_py_files():
    pkg = os.path.join(SRC, "python", "simdrop")
    return {os.path.relpath(os.path.join(d, f), os.path.join(SRC, "python"))
            for d, _, files in os.walk(pkg) for f in files if f.endswith(".py")}


class Wheel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="simdrop-wheel-")
        tmp = cls.tmp
        # A copy of the source tree, as a fresh checkout would be (pip and meson-python write
        # into the source directory they build: none of that lands in this checkout).
        src = os.path.join(tmp, "src")
        top = os.path.abspath(SRC)
        shutil.copytree(top, src, symlinks=True, ignore=lambda d, names: [
            n for n in names if n in (".git", "__pycache__") or n.startswith(".mesonpy")
            or (os.path.abspath(d) == top and n.startswith("build"))])
        venv = os.path.join(tmp, "venv")
        run(["/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable,
             "-m", "venv", "--system-site-packages", venv])
        cls.python = os.path.join(venv, "bin", "python")
        env = {k: v for k, v in os.environ.items()
               if k not in ("SIMDROP_LIBRARY", "SIMDROP_TORCH_GLUE", "PYTHONPATH")}
        cls.builddir = os.path.join(tmp, "wheel-build")
        # The README's offline commands: no index, no build isolation (Debian's meson-python).
        run([cls.python, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
             "--config-settings=builddir=" + cls.builddir,
             "--config-settings=setup-args=-Dtorch_glue=" + ("disabled" if GLUE == "none" else "enabled"),
             "-w", os.path.join(tmp, "dist"), src], env=env)
        wheels = glob.glob(os.path.join(tmp, "dist", "simdrop-*.whl"))
        assert len(wheels) == 1, wheels
        cls.wheel = wheels[0]
        run([cls.python, "-m", "pip", "install", "--no-index", "--no-deps", cls.wheel], env=env)
        # Adversarial: the build tree's library on the loader's path must not be the one taken.
        env["LD_LIBRARY_PATH"] = os.path.dirname(os.path.abspath(BUILD_TREE_LIBRARY))
        empty = os.path.join(tmp, "cwd")
        os.mkdir(empty)
        cls.result = json.loads(run([cls.python, "-c", IN_VENV], env=env, cwd=empty))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_wheel_holds_the_package_and_its_library_only(self):
        with zipfile.ZipFile(self.wheel) as z:
            names = set(z.namelist())
        meta = {n for n in names if n.split("/")[0].endswith(".dist-info")}
        glue = set() if GLUE == "none" else {"simdrop/torch/_glue" + GLUE}
        self.assertEqual(names - meta, source_py_files() | {"simdrop/libsimdrop.so"} | glue)
        with zipfile.ZipFile(self.wheel) as z:
            self.assertEqual(z.read("simdrop/libsimdrop.so")[:4], b"\x7fELF")

    def test_build_left_out_tests_bench_and_twins(self):
        with open(os.path.join(self.builddir, "meson-info", "intro-targets.json")) as f:
            built = {t["name"] for t in json.load(f) if t["build_by_default"]}
        self.assertIn("simdrop", built)
        # the one library, its per-ISA kernel parts, and simdrop.torch's C++ route
        for name in built - {"simdrop"}:
            self.assertTrue(name.startswith("kernels_") and not name.endswith("_simde")
                            or GLUE != "none" and name == "_glue" + GLUE.rsplit(".", 1)[0], name)
        self.assertFalse([n for n in self.result["isa_list"] if n.endswith("-simde")],
                         self.result["isa_list"])

    def test_installed_package_loads_its_own_library(self):
        pkg = os.path.dirname(self.result["package"])
        venv = os.path.dirname(os.path.dirname(self.python))
        self.assertTrue(pkg.startswith(venv), f"imported {pkg}, not the venv's package")
        own = os.path.realpath(os.path.join(pkg, "libsimdrop.so"))
        self.assertEqual(self.result["library"], own)
        self.assertEqual(self.result["mapped"], [own], "another libsimdrop is loaded too")

    def test_numpy_and_torch_give_the_specified_bits(self):
        r = self.result
        p, n = 0.25, len(r["x"])
        self.assertEqual(bytes.fromhex(r["mask"]), spec.bitmask(2024, 4000, n, p))
        keeps = [spec.keep(2024, 4000 + k, p) for k in range(n)]
        self.assertEqual(r["y"], spec.dropout_values(spec.F32, r["x"], keeps, p, "x86"))
        keeps = [spec.keep(r["torch_seed"], k, p) for k in range(n)]
        self.assertEqual(r["torch_y"], spec.dropout_values(spec.F32, r["x"], keeps, p, "x86"))
        self.assertNotEqual(r["y"], r["torch_y"])   # two different masks, both checked
        keeps = [spec.keep(r["tiny_seed"], k, p) for k in range(100)]
        self.assertEqual(r["tiny"], spec.dropout_values(spec.F32, r["x"][:100], keeps, p, "x86"))

    def test_versions_are_the_project_version(self):
        # simdrop.__version__ (written in the package), the wheel's metadata (from meson.build) and
        # the library the package loaded
        self.assertEqual(self.result["versions"], [VERSION] * 3)

    def test_torch_route(self):
        self.assertTrue(self.result["native"].startswith("Python (" if GLUE == "none" else "C++ ("),
                        self.result["native"])


if __name__ == "__main__":
    _testenv.require("numpy", "torch", "mesonpy", "pip", "ensurepip")
    unittest.main(argv=sys.argv[:1], verbosity=2)
