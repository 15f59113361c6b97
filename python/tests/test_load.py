"""How `import simdrop` finds the C library and checks its version (simdrop/_lib.py).

Usage: test_load.py FAKE_1_0 FAKE_2_0 FAKE_JUNK FAKE_NONE (the fake_libsimdrop.c builds: version
1.0.0, version 2.0.0, a version string that is no version, a library without simdrop_version),
with SIMDROP_LIBRARY naming the real library, as the python suite runs it. Each case imports
simdrop in a fresh interpreter. Needs neither numpy nor torch."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from _testenv import require

require()  # (only the valgrind check: nothing optional is imported)
FAKE_OLD, FAKE_NEW, FAKE_JUNK, FAKE_NONE = (os.path.abspath(p) for p in sys.argv[1:5])
REAL = os.environ["SIMDROP_LIBRARY"]
PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "simdrop")

import simdrop  # noqa: E402  (the real library, from SIMDROP_LIBRARY)
from simdrop import _lib  # noqa: E402


def run_import(env, code="import simdrop; print(simdrop.library_path(), simdrop.version())"):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def env_with(**changes):
    env = dict(os.environ)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class ExplicitLibrary(unittest.TestCase):
    """SIMDROP_LIBRARY naming a library that does not fit: an ImportError that says what was found
    there and what is needed, never ctypes' raw "undefined symbol"."""

    def refused(self, path, *expect):
        r = run_import(env_with(SIMDROP_LIBRARY=path))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("ImportError", r.stderr)
        self.assertIn(f"SIMDROP_LIBRARY={path}", r.stderr)
        self.assertNotIn("undefined symbol", r.stderr)
        for text in expect:
            self.assertIn(text, r.stderr)

    def test_older_release(self):
        self.refused(FAKE_OLD, "version 1.0.0", "needs simdrop >= 1.2 and < 2")

    def test_newer_major_version(self):
        self.refused(FAKE_NEW, "version 2.0.0", "needs simdrop >= 1.2 and < 2")

    def test_version_string_that_is_no_version(self):
        self.refused(FAKE_JUNK, "simdrop_version() returned 'simdrop', not MAJOR.MINOR.PATCH")

    def test_not_a_simdrop_library(self):
        self.refused(FAKE_NONE, "no simdrop_version(): not a simdrop library")

    def test_missing_file(self):
        self.refused("/nonexistent/libsimdrop.so", "/nonexistent/libsimdrop.so")

    def test_the_real_library_fits(self):
        r = run_import(env_with(SIMDROP_LIBRARY=REAL))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), [REAL, simdrop.version()])


class Search(unittest.TestCase):
    def installed_layout(self, root):
        """<root>/lib/python3/dist-packages/simdrop (this source package, linked) beside
        <root>/lib/libsimdrop.so.1 (the real library, linked): meson install's layout."""
        site = os.path.join(root, "lib", "python3", "dist-packages")
        os.makedirs(site)
        os.symlink(PACKAGE, os.path.join(site, "simdrop"))
        lib = os.path.join(root, "lib", "libsimdrop.so.1")
        os.symlink(REAL, lib)
        return site, lib

    def test_bogus_env_names_the_library_next_to_the_package(self):
        with tempfile.TemporaryDirectory() as root:
            site, lib = self.installed_layout(root)
            r = run_import(env_with(SIMDROP_LIBRARY="/nonexistent/libsimdrop.so", PYTHONPATH=site))
            self.assertNotEqual(r.returncode, 0, r.stdout)
            # an explicit setting that fails is an error, and the error names what it hides
            self.assertIn("SIMDROP_LIBRARY=/nonexistent/libsimdrop.so", r.stderr)
            self.assertIn(lib, r.stderr)
            self.assertIn("or unset it", r.stderr)
            r = run_import(env_with(SIMDROP_LIBRARY=None, PYTHONPATH=site))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.split()[0], lib)

    def test_older_library_on_the_loader_path_is_passed_over_and_named(self):
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(FAKE_OLD, os.path.join(d, "libsimdrop.so.1"))
            r = run_import(env_with(SIMDROP_LIBRARY=None, LD_LIBRARY_PATH=d))
            if r.returncode == 0:
                self.skipTest(f"a fitting simdrop library is installed system-wide: {r.stdout.strip()}")
            self.assertIn("the dynamic loader's search path: libsimdrop.so.1 (version 1.0.0; "
                          "this package needs simdrop >= 1.2 and < 2)", r.stderr)
            self.assertNotIn("undefined symbol", r.stderr)


class VersionRule(unittest.TestCase):
    def test_parse_and_fit(self):
        self.assertEqual(_lib.parse_version("1.1.0"), (1, 1, 0))
        self.assertEqual(_lib.parse_version("1.12.3-dev"), (1, 12, 3))
        self.assertIsNone(_lib.parse_version("1.1"))
        self.assertIsNone(_lib.parse_version("v1.1.0"))
        for ok in ((1, 2, 0), (1, 2, 7), (1, 3, 0), (1, 30, 0)):
            self.assertIsNone(_lib.version_problem(ok), ok)
        for bad in ((1, 1, 9), (1, 0, 9), (0, 9, 0), (2, 0, 0), (2, 1, 0)):
            self.assertIn("needs simdrop >= 1.2 and < 2", _lib.version_problem(bad), bad)

    def test_loaded_library(self):
        self.assertEqual(_lib.version_string, simdrop.version())
        self.assertIsNone(_lib.version_problem(_lib.parse_version(simdrop.version())))
        self.assertEqual(simdrop.library_path(), REAL)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
