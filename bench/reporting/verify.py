"""verify.py: checkasm's bit-exact verification (its VERIFY and VERIFY_TOTAL lines) and the
report's section on it."""
import os
import re


def load_verify(path):
    """([{path, checks, failures, result}], {totals} or None) from `checkasm --verify` output."""
    paths, total = [], None
    if not path or not os.path.exists(path):
        return paths, total
    with open(path) as f:
        for line in f:
            fields = dict(re.findall(r"(\w+)=(\S+)", line))
            if line.startswith("VERIFY "):
                paths.append(fields)
            elif line.startswith("VERIFY_TOTAL "):
                total = fields
    return paths, total


def last_lines(path, count=4):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip() for line in f.readlines()[-count:]]


def verify_section(verify_file, command):
    """The "Bit-exact verification" section: a table per path, or FAIL with checkasm's last lines."""
    vpaths, vtotal = load_verify(verify_file)
    if not vtotal:
        lines = [f"**The verification did not produce a result: FAIL** (see {verify_file}). Its last lines:", "", "```"]
        for name in (verify_file, os.path.splitext(verify_file)[0] + ".err"):
            lines += last_lines(name)
        return lines + ["```"]
    lines = [f"`{command}` (tests/checkasm.c, built with the tests) compared every built and "
             f"supported path with the `{vtotal.get('reference', 'scalar')}` reference: each kernel table entry "
             f"directly, then {vtotal.get('entries', '?')} public entry points (every operation and dtype) "
             "on random shapes, offsets, p, seeds, misalignments, NULL optional buffers and aliasing, "
             "with the non-temporal stores forced in some cases and 1 to 16 threads; outputs, masks, "
             "status codes and guard bytes compared byte for byte. Seed "
             f"{vtotal.get('seed')} (`--seed` replays it).", "",
             "| path | checks | failures | result |", "|---|---:|---:|---|"]
    lines += [f"| {v['path']}{' (SIMDe emulation, test-only)' if v['path'].endswith('-simde') else ''} | "
              f"{v.get('checks', '?')} | {v.get('failures', '?')} | **{v.get('result')}** |" for v in vpaths]
    return lines + ["", f"**Overall: {vtotal.get('result')}**: {vtotal.get('paths')} paths, "
                        f"{vtotal.get('checks')} checks, {vtotal.get('failures')} failures."]
