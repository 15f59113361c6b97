"""`meson install --destdir` lays out the package beside the library, and the installed package
finds the installed library on its own (no SIMDROP_LIBRARY), with every source file installed.

Usage: test_install.py MESON BUILD_DIR PREFIX PYTHON_DIR SOURCE_PACKAGE_DIR GLUE
GLUE: the extension modules' file name suffix where the build has simdrop.torch._glue, which is
then installed with the package and used by it; else "none"."""
import os
import subprocess
import sys
import tempfile
import unittest

MESON, BUILD, PREFIX, PYDIR, SRC, GLUE = sys.argv[1:7]


def py_files(root):
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".py"):
                out.add(os.path.relpath(os.path.join(d, f), root))
    return out


class Install(unittest.TestCase):
    def test_destdir_layout_and_lookup(self):
        with tempfile.TemporaryDirectory() as dest:
            r = subprocess.run([MESON, "install", "-C", BUILD, "--no-rebuild", "--destdir", dest],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
            site = os.path.join(dest, PYDIR.lstrip("/"))
            pkg = os.path.join(site, "simdrop")
            self.assertEqual(py_files(pkg), py_files(SRC) | {"_build_config.py"})
            env = {k: v for k, v in os.environ.items() if k not in ("SIMDROP_LIBRARY", "PYTHONPATH")}
            env["PYTHONPATH"] = site
            code = ("import simdrop, os; print(os.path.realpath(simdrop.library_path())); "
                    "print(simdrop.__file__); print(simdrop.version())")
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            lib, init, version = r.stdout.split()
            self.assertTrue(init.startswith(os.path.realpath(pkg)) or init.startswith(pkg), init)
            self.assertTrue(lib.startswith(os.path.realpath(dest)), f"loaded {lib}, not the installed copy")
            self.assertEqual(version, "1.2.0")
            # a SIMDROP_LIBRARY that does not load is an error that names the installed library
            env["SIMDROP_LIBRARY"] = "/nonexistent/libsimdrop.so"
            r = subprocess.run([sys.executable, "-c", "import simdrop"], env=env, capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("SIMDROP_LIBRARY=/nonexistent/libsimdrop.so", r.stderr)
            self.assertIn(os.path.normpath(os.path.join(pkg, "..", "..", "..", "libsimdrop.so.1")), r.stderr)
            with open(os.path.join(pkg, "_build_config.py")) as f:
                self.assertIn(PREFIX, f.read())
            if GLUE != "none":  # simdrop.torch takes its C++ route from beside its own files
                self.assertTrue(os.path.isfile(os.path.join(pkg, "torch", "_glue" + GLUE)))
                del env["SIMDROP_LIBRARY"]
                r = subprocess.run([sys.executable, "-c", "import simdrop.torch as t; print(t.NATIVE)"],
                                   env=env, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith("C++ (simdrop.torch._glue"), r.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
