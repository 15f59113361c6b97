#!/usr/bin/env python3
"""check_promises.py: docs/PROMISES.md section 3 against what test_bad_input runs (test 'promises-doc').

    check_promises.py PROMISES_MD TEST_BAD_INPUT TEST_BAD_INPUT_C UNAVAILABLE_ISA

Each row of section 3's table names, in its last column, the cases of test_bad_input that hold
it: case labels in backticks (`*` matches anything), prefixed `unknown: `, `unavailable: ` or
`threads: ` for the runs with a bad SIMDROP_ISA or SIMDROP_NUM_THREADS, or a function of
test_bad_input.c as `name()` for checks made outside the case table. This script runs
test_bad_input --list-cases (one path) and its three bad-setting runs, and fails when
  - a row cites a label that no case has, or a function test_bad_input.c does not define;
  - the status codes a row names (SIMDROP_* and OK) differ from those its cases returned;
  - a case label is cited by no row (a new case needs its line in the document);
  - the document still says KNOWN BUG (the tests have no known exceptions: each is a failure).
"""
import fnmatch
import os
import re
import subprocess
import sys


def run_cases(test, env_name, env_value, mode):
    """{label: {status}} of one run; labels of the bad-setting runs get their mode as prefix."""
    env = {k: v for k, v in os.environ.items() if k not in ("SIMDROP_ISA", "SIMDROP_NUM_THREADS")}
    args = [test, "--list-cases"]
    if env_name:
        env[env_name] = env_value
        args += ["--env-expect", mode]
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"check_promises: {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}"
                 f"{r.stderr[-3000:]}")
    cases = {}
    for line in r.stdout.splitlines():
        if line.startswith("case\t"):
            _, label, status = line.split("\t")
            label = re.sub(r"[-+]?\d+ bytes from", "N bytes from", label)  # the sweep's distances
            if env_name:
                label = f"{mode}: {label}"
            cases.setdefault(label, set()).add(status)
    if not cases:
        sys.exit(f"check_promises: {' '.join(args)} listed no case")
    return cases


def section3_rows(path):
    text = open(path, encoding="utf-8").read()
    start = text.index("## 3. Error behaviour")
    end = text.index("\n## ", start + 1)
    rows = []
    in_table = False  # the table whose header starts with "bad input"
    for number, line in enumerate(text[:end].split("\n")[text[:start].count("\n"):],
                                  text[:start].count("\n") + 1):
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "bad input":  # the header
            if len(cells) != 4 or cells[3] != "cases":
                sys.exit(f"{path}:{number}: section 3's table has no cases column (bad input | "
                         "entry points | status | cases)")
            in_table = True
            continue
        if not in_table or set(cells[0]) <= set("- "):
            continue
        if len(cells) != 4:
            sys.exit(f"{path}:{number}: a row of section 3's table without 4 cells")
        rows.append((number, cells[0], cells[2], cells[3]))
    if not rows:
        sys.exit(f"{path}: no table with the header 'bad input | entry points | status | cases' "
                 "in section 3")
    return text, rows


def main():
    promises, test, source_path, unavailable = sys.argv[1:5]
    cases = run_cases(test, None, None, None)
    cases.update(run_cases(test, "SIMDROP_ISA", "bogus", "unknown"))
    cases.update(run_cases(test, "SIMDROP_ISA", unavailable, "unavailable"))
    cases.update(run_cases(test, "SIMDROP_NUM_THREADS", "0", "threads"))
    source = open(source_path, encoding="utf-8").read()
    text, rows = section3_rows(promises)
    errors = []
    if "KNOWN BUG" in text:
        errors.append("the document says KNOWN BUG: test_bad_input has no known exceptions, so "
                      "the row must state what the library does (section 6 lists fixed bugs)")
    cited = set()
    for number, what, status_text, cases_text in rows:
        refs = re.findall(r"`([^`]+)`", cases_text)
        if not refs:
            errors.append(f"line {number} ({what[:50]}...): no case or function cited")
        statuses = set()
        for ref in refs:
            if ref.endswith("()"):
                if not re.search(r"^static \w+ " + re.escape(ref[:-2]) + r"\(", source, re.M):
                    errors.append(f"line {number}: test_bad_input.c defines no {ref}")
                continue
            matched = [label for label in cases if fnmatch.fnmatchcase(label, ref)]
            if not matched:
                errors.append(f"line {number}: no case of test_bad_input is `{ref}`")
            for label in matched:
                cited.add(label)
                statuses |= cases[label]
        if not statuses:
            continue
        named = set(re.findall(r"SIMDROP_[A-Z_]+", status_text))
        if re.search(r"\bOK\b", status_text):
            named.add("OK")
        if named != statuses:
            errors.append(f"line {number} ({what[:50]}...): the row names "
                          f"{', '.join(sorted(named)) or 'no status'}, its cases returned "
                          f"{', '.join(sorted(statuses))}")
    for label in sorted(set(cases) - cited):
        errors.append(f"case `{label}` ({', '.join(sorted(cases[label]))}) is in no row of "
                      "section 3")
    for e in errors[:40]:
        print(f"{promises}: {e}", file=sys.stderr)
    if len(errors) > 40:
        print(f"{promises}: ... and {len(errors) - 40} more", file=sys.stderr)
    print(f"check_promises: {len(rows)} rows, {len(cases)} case labels from 4 runs, "
          f"{len(errors)} problems")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
