#!/usr/bin/env python3
"""check_api.py: the built shared library, include/simdrop.h, docs/API.md and the linker version
script agree on the public functions (meson test 'api-doc').

    check_api.py LIBRARY HEADER API_MD [--map MAP] [--nm NM]

Fails when
  - a symbol the library exports (nm -D --defined-only) is not declared in the header, or is not
    documented in docs/API.md;
  - a function the header declares is not exported (a missing SIMDROP_API or version-script
    entry hides it) or not documented in docs/API.md;
  - docs/API.md calls a simdrop_* function that does not exist (a stale name);
  - with --map (the library was linked with the version script): an exported symbol is
    unversioned or bound to another node than the one the map puts it in, or the map names a
    function that is not exported.
"""
import argparse
import os
import re
import subprocess
import sys


def exported_symbols(nm, library):
    """{name: version or None} of the defined dynamic symbols."""
    out = subprocess.run([nm, "-D", "--defined-only", library], capture_output=True, text=True,
                         check=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1]
        if kind == "A":  # a version node's own symbol (SIMDROP_1.0), not a function
            continue
        if not kind.isupper() and kind not in ("i", "u", "v", "w"):
            continue  # local
        base, _, version = name.partition("@")
        symbols[base] = version.lstrip("@") or None
    return symbols


def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/", " ", re.sub(r"//[^\n]*", "", text), flags=re.S)


def header_functions(path):
    """The functions the header declares, and those among them without SIMDROP_API."""
    code = strip_c_comments(open(path, encoding="utf-8").read())
    declared, unmarked = set(), set()
    for decl in code.split(";"):
        match = re.search(r"\b(simdrop_\w+)\s*\(", decl)
        if not match or re.search(r"\btypedef\b|#\s*define", decl):
            continue
        declared.add(match.group(1))
        if "SIMDROP_API" not in decl:
            unmarked.add(match.group(1))
    return declared, unmarked


def version_script(path):
    """{symbol: node} from a GNU version script."""
    text = strip_c_comments(open(path, encoding="utf-8").read())
    text = re.sub(r"#[^\n]*", "", text)
    nodes = {}
    for node, body in re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, flags=re.S):
        scope = "global"
        for item in re.split(r"[;\s]+", body):
            if item in ("global:", "local:"):
                scope = item[:-1]
            elif item and scope == "global":
                nodes[item] = node
    return nodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("library")
    ap.add_argument("header")
    ap.add_argument("api_md")
    ap.add_argument("--map", help="the version script the library was linked with")
    ap.add_argument("--nm", default="nm")
    args = ap.parse_args()
    for name in ("library", "header", "api_md", "map"):
        if getattr(args, name):
            setattr(args, name, os.path.normpath(getattr(args, name)))

    exported = exported_symbols(args.nm, args.library)
    declared, unmarked = header_functions(args.header)
    doc = open(args.api_md, encoding="utf-8").read()
    documented = set(re.findall(r"(?<![\w])(simdrop_\w+)(?![\w])", doc))
    called_in_doc = set(re.findall(r"(?<![\w])(simdrop_\w+)\s*\(", doc))

    problems = []
    for name in sorted(set(exported) - declared):
        problems.append(f"{name}: exported by the library but not declared in {args.header}")
    for name in sorted(declared - set(exported)):
        problems.append(f"{name}: declared in {args.header} but not exported by the library"
                        " (SIMDROP_API? an entry in the version script?)")
    for name in sorted(unmarked):
        problems.append(f"{name}: declared in {args.header} without SIMDROP_API")
    for name in sorted((set(exported) | declared) - documented):
        problems.append(f"{name}: not documented in {args.api_md}")
    for name in sorted(called_in_doc - declared):
        problems.append(f"{name}: called in {args.api_md} but not a function of {args.header}")
    if args.map:
        nodes = version_script(args.map)
        for name, version in sorted(exported.items()):
            if version is None:
                problems.append(f"{name}: exported without a symbol version ({args.map} not applied?)")
            elif name in nodes and nodes[name] != version:
                problems.append(f"{name}: exported as version {version}, {args.map} says {nodes[name]}")
        for name in sorted(set(nodes) - set(exported)):
            problems.append(f"{name}: in {args.map} ({nodes[name]}) but not exported")

    for line in problems:
        print("api-doc: " + line, file=sys.stderr)
    versions = sorted({v for v in exported.values() if v})
    print(f"api-doc: {len(exported)} exported symbols, {len(declared)} header functions,"
          f" {len(documented & declared)} documented"
          + (f", versions {' '.join(versions)}" if versions else "")
          + (f": {len(problems)} problems" if problems else ": all agree"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
