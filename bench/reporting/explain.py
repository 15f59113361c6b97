"""explain.py: verdicts on the targets, and why a target was missed, derived from this run.

An explanation is a list of findings, each one sentence built only from this run's numbers (rates,
bytes per element, instruction counts) and this machine's facts (its CPU features, the native
instructions in the build); a finding whose data are missing is left out. A finding is a pair
(sentence, concludes): concludes says whether it names a cause ("compute-bound", "memory-bound",
"the bytes set this ratio", more instructions, noise), which it does only where the numbers show it
by the thresholds below; where no finding does, the explanation says so rather than guess.
"""
from .catalog import F32_FWD, TORCH_OF, case_label, size_label
from .machine import CONVERSION_INSTRUCTIONS, has_feature

FLAT = 0.8          # the rate at the largest size is at least this share of the in-cache one: "flat"
AT_MEMCPY = 0.9     # at least this share of memcpy's bytes per second: moving data at memcpy's speed
SAME_BYTES = 0.15   # bytes per element within this share of the yardstick's count as the same
MORE_INSNS = 1.15   # at least this many times the reference's instructions count as "more"
NOISY = 0.25        # repetitions whose CPU times spread over this share of their median: a noisy rate

# The conversion feature each x86 path's kernels use, by dtype (CONVERSION_INSTRUCTIONS names
# them): kernels/x86/avx2.c and avx512.h convert f16 with F16C, avx512bf16.c rounds bf16 with
# AVX512-BF16. The other paths convert in integer code (sse2's f16, and every bf16 rounding but
# avx512bf16's), which a CPU feature the timed path does not use cannot speed up. No path uses
# AVX512-FP16's conversions: they cost what F16C's do (kernels/x86/avx512.h).
PATH_CONVERSIONS = {"avx2": {"f16": "f16c"}, "avx512": {"f16": "f16c"},
                    "avx512bf16": {"f16": "f16c", "bf16": "avx512_bf16"}}
DTYPE_FEATURE = {"bf16": "avx512_bf16", "f16": "f16c"}
X86 = {"x86_64", "amd64", "i386", "i686"}


def verdict(r, minimum):
    """"met", or how far below the target a ratio is."""
    if r is None:
        return "not measured"
    if r >= minimum:
        return "met"
    # A miss smaller than the digits shown reads "<0.01x", never "by 0.00x (0% short)".
    by, share = f"{minimum - r:.2f}", f"{100 * (1 - r / minimum):.0f}"
    return f"**missed** by {'<0.01' if by == '0.00' else by}x ({'<1' if share == '0' else share}% short)"


def gelem(rate):
    return f"{rate / 1e9:.{2 if rate >= 1e9 else 3}f} Gelem/s"


class Evidence:
    """What explanations may use: the results, the auto path, the machine (machine.describe()),
    the instruction counts (measure.load_instructions(), or None) and the kernel entries' times
    (measure.load_kernel_bench(), or None)."""

    def __init__(self, res, auto, machine, insns=None, kernels=None):
        self.res, self.auto, self.machine, self.insns, self.kernels = res, auto, machine, insns, kernels

    def rate(self, case, n, path=None, key="items"):
        op, dt, glen = case
        return self.res.get(op, dt, path or self.auto, n, 0.1, glen, key)


def yardstick_name(case, against):
    if against == "memcpy":
        return f"memcpy_{case[1]}"
    if against == "unfused":
        return "the unfused composition"
    if against == "torch":
        return f"PyTorch's {TORCH_OF[case][0]} (bench/torch_bench.py)"
    return case_label(*against)


def rates_finding(ev, target):
    """The two rates the ratio divides, at the target's size."""
    _, _, case, n, against, _ = target
    mine, other = ev.rate(case, n), ev.res.against_rate(case, ev.auto, n, 0.1, against)
    if not mine or not other:
        return None
    return (f"at {size_label(n)}, {case_label(*case)} runs {gelem(mine)} on {ev.auto}, "
            f"{yardstick_name(case, against)} {gelem(other)}", False)


def noise_finding(target, ratio, best):
    if best is not None and ratio < target[5] <= best:
        return (f"the fastest repetitions reach {best:.2f}x and meet it: the miss is within this run's "
                "repetition-to-repetition noise", True)
    return None


def spread_finding(ev, target):
    """Where the yardstick's own repetitions spread widely at the target's size (the AMD VM's
    memcpy of 32 MiB ran 8.1 to 12.6 Gelem/s within one run, as its L3 held more or less of
    it): a fact of the run to set the miss against, not a cause by itself."""
    _, _, case, n, against, _ = target
    op, dt, glen = case
    if against == "memcpy":
        key = ("memcpy", dt, None, n, None, None)
    elif isinstance(against, tuple):
        key = (against[0], against[1], ev.auto, n, 0.1, against[2])
    else:
        return None
    other, mine = ev.res.cases.get(key), ev.res.cases.get((op, dt, ev.auto, n, 0.1, glen))
    if not other or other["spread"] < NOISY:
        return None
    own = f" (those of {case_label(*case)} over {100 * mine['spread']:.0f}%)" if mine else ""
    return (f"the repetitions of {yardstick_name(case, against)} at {size_label(n)} spread over "
            f"{100 * other['spread']:.0f}% of their median time{own}: the yardstick itself moved that much "
            "within this run", False)


def copy_share(ev, case, n):
    """The case's bytes per second over a memcpy of its dtype's at n, or None."""
    mine, copy = ev.rate(case, n), ev.res.memcpy(n, dt=case[1])
    b_case, b_copy = ev.res.bytes_per_element(case, ev.auto, n), ev.res.bytes_per_element(case, None, n)
    return mine * b_case / (copy * b_copy) if mine and copy and b_case and b_copy else None


def bound_finding(ev, case, n):
    """What limits the case at the target's size n, from its rates there and at the smallest size
    measured (in cache). Out of cache (any larger n, not only the largest: a 16M target too):
    memory-bound where it moves its bytes at memcpy's speed, compute-bound where its rate is about
    its in-cache one while memcpy's bytes per second are not reached. In cache: compute-bound
    where the rate hardly improves over the largest size's."""
    sizes = ev.res.sizes(case, ev.auto)
    if len(sizes) < 2 or n not in sizes:
        return None
    small = sizes[0]
    large = sizes[-1] if n == small else n
    r_small, r_large = ev.rate(case, small), ev.rate(case, large)
    memcpy, share = ev.res.memcpy(large, dt=case[1]), copy_share(ev, case, large)
    if not (r_small and r_large and memcpy and share):
        return None
    span = f"{gelem(r_small)} at {size_label(small)}, {gelem(r_large)} at {size_label(large)}"
    flat = r_large >= FLAT * r_small
    if n == small:
        return (f"compute-bound in cache: its rate hardly improves when the data are in cache ({span})", True) \
            if flat else None
    if share >= AT_MEMCPY:
        return (f"memory-bound at {size_label(large)}: it moves its bytes at {share:.2f}x memcpy's bytes per "
                f"second there ({span})", True)
    copy = f"memcpy_{case[1]} runs {gelem(memcpy)} at {size_label(large)}"
    if flat:
        return (f"compute-bound: its rate hardly changes with where the data are ({span}), while it moves its "
                f"bytes at {share:.2f}x memcpy's bytes per second ({copy})", True)
    return (f"neither flat nor at memcpy's speed: {span}, where it moves its bytes at {share:.2f}x memcpy's "
            f"bytes per second ({copy})", False)


def bytes_finding(ev, target):
    """Bytes per element against the yardstick's where they differ, and what that allows."""
    _, _, case, n, against, minimum = target
    if not isinstance(against, tuple):
        return None
    mine, other = ev.res.bytes_per_element(case, ev.auto, n), ev.res.bytes_per_element(against, ev.auto, n)
    r_mine, r_other = ev.rate(case, n), ev.rate(against, n)
    if not (mine and other and r_mine and r_other) or abs(mine / other - 1) <= SAME_BYTES:
        return None
    allowed, share = other / mine, (r_mine * mine) / (r_other * other)
    text = (f"it moves {mine:.1f} B/element against {other:.1f} for {case_label(*against)}, so at the same "
            f"bytes per second it would run at {allowed:.2f}x; it moves {share:.2f}x their bytes per second")
    if allowed < minimum:  # the target asks for more bytes per second than the yardstick's
        need = f"{minimum:g}x would need {minimum / allowed:.2f}x their bytes per second"
        return text + (f": the bytes set this ratio, and {need}" if share >= AT_MEMCPY else f"; {need}"), True
    if allowed >= 1:
        return text + ": its bytes do not hold it back", False
    return text, False


def yardstick_finding(ev, target):
    """Against PyTorch or the unfused composition: whether simdrop's side already runs at memory
    speed, which leaves the other side's speed on this machine to set the ratio."""
    _, _, case, n, against, _ = target
    share = copy_share(ev, case, n) if against in ("torch", "unfused") else None
    if share is None or share < AT_MEMCPY:
        return None
    return (f"on this machine {yardstick_name(case, against)} sets this ratio: {case_label(*case)} already "
            f"moves its bytes at {share:.2f}x memcpy's bytes per second at {size_label(n)}", True)


def counted_elsewhere(insns, auto):
    """Why the instructions were counted on another path than the timed one, or None."""
    if not insns or insns["path"] == auto:
        return None
    if insns["counter"] == "callgrind" and auto.startswith("avx512"):
        return f"valgrind does not execute AVX-512, so the library picks {insns['path']} under it"
    return f"the counting run found {insns['path']}"


def insns_finding(ev, target):
    """Instructions per element against the reference case's, from the run's counts."""
    _, _, case, _, against, _ = target
    ref = against if isinstance(against, tuple) else F32_FWD
    counts = ev.insns["per_element"] if ev.insns else {}
    if case == ref or case not in counts or ref not in counts:
        return None
    mine, other, path = counts[case], counts[ref], ev.insns["path"]
    where = f"{ev.insns['counter']} on {path}" + (f", not the timed {ev.auto} path" if path != ev.auto else "")
    # More instructions explain a slower in-cache rate only when counted on the path timed.
    more = mine >= MORE_INSNS * other and path == ev.auto
    return (f"{mine:.2f} instructions/element against {other:.2f} for {case_label(*ref)} "
            f"({mine / other:.2f}x{' as many: more work per element' if more else ''}; {where})", more)


def unused_feature_sentence(ev, feature):
    """Why the timed path does without a conversion feature: what this CPU has of it, and whether
    the build contains its instructions and the paths that use them."""
    name, mnemonics, what = CONVERSION_INSTRUCTIONS[feature]
    features, native = ev.machine["features"], ev.machine["native"]
    has, built = has_feature(features, feature), native["present"].get(feature)
    source = "as the library detected" if features["from_library"] else "per /proc/cpuinfo"
    lib, insn = native.get("library") or "the library", mnemonics[0]
    if has is None:
        return None
    if not has:
        return f"this CPU has no {name} ({source}), so no path can use {insn} here"
    if built is None:
        return f"this CPU has {name} ({source}); whether this build uses it is unknown (no disassembly)"
    if not built:
        return f"this CPU has {name} ({source}), but {lib} contains no {insn}: this build does the {what} without it"
    users = [p for p, conversions in PATH_CONVERSIONS.items() if feature in conversions.values()]
    which = f"the {users[0]} path uses" if len(users) == 1 else f"the {', '.join(users[:-1])} and {users[-1]} paths use"
    # "auto" takes the best path the CPU runs, so one that uses the feature would have been timed.
    return (f"this CPU has {name} ({source}) and {lib} contains {insn}, but only {which} it, and the timed "
            "path is none of them")


def conversion_findings(ev, case):
    """How the timed path converts the case's 16-bit dtype (x86), and why not faster where it could."""
    feature = DTYPE_FEATURE.get(case[1])
    if ev.machine["cpu"].get("arch") not in X86 or not feature:
        return []
    name, mnemonics, what = CONVERSION_INSTRUCTIONS[feature]
    if PATH_CONVERSIONS.get(ev.auto, {}).get(case[1]) == feature:
        return [(f"the timed {ev.auto} path does the {what} with {mnemonics[0]} ({name})", False)]
    timed = f"the timed {ev.auto} path does the {what} in integer code (its kernels use no {name} instruction)"
    return [(s, False) for s in (timed, unused_feature_sentence(ev, feature)) if s]


# The kernel entries behind a column shard's rounds, by operation: the rule its made rounds run
# (kernel.h's rules) and "skip", the rounds its lanes step over without outputs.
BLOCK_RULES = {"block_forward_mask": "SCALE", "block_bias_dropout_add": "BIAS_RESID"}


def stepped_per_made(cols):
    """Rounds a column shard steps its lanes over for each round it makes: the benchmark's second
    of four shards of a 4 * cols wide tensor, in a generator block of 128 rounds (MASK_SPEC 2.2:
    a block's lanes run its rounds in order): the lead of its first row (one shard's columns),
    then three shards' columns between its rows. None where rows are not whole rounds or a
    global row does not divide a generator block (the benchmark's rows: 32 to 1024)."""
    rounds = cols // 32
    if not rounds or cols % 32 or 128 % (4 * rounds):
        return None
    rows = 128 // (4 * rounds)  # its rows in one generator block
    return (1 + 3 * (rows - 1)) / rows


def block_finding(ev, target, ratio):
    """A column shard's cost beyond its elements, and in cache what this run's kernel rates
    (ev.kernels: checkasm --bench on the timed path) allow it: made rounds at the contiguous
    call's rate plus the stepped ones at skip's. A cap only in cache, where both calls are
    compute-bound; out of cache memory time hides some of the stepping."""
    _, _, case, n, _, minimum = target
    steps = stepped_per_made(case[2]) if case[0] in BLOCK_RULES else None
    if steps is None:
        return None
    text = (f"a column shard 1 of 4 in rows of {case[2]} makes a quarter of each generator block's "
            f"rounds and steps its lanes through {steps:.2f} rounds for each one it makes (MASK_SPEC v1 "
            "runs a block's lanes through its rounds in order; docs/SHARDING.md section 5)")
    rule, kernels = BLOCK_RULES[case[0]], ev.kernels or {}
    entry = next((e for e in (f"gen2_{rule}_f32", f"gen_{rule}_f32") if (e, ev.auto) in kernels), None)
    skip, sizes = kernels.get(("skip", ev.auto)), ev.res.sizes(case, ev.auto)
    if not entry or not skip or not sizes or n != sizes[0]:
        return text, False
    made = kernels[(entry, ev.auto)]
    cap = made / (made + steps * skip)
    text += (f". This run's kernel entries on {ev.auto} (checkasm --bench, in cache) take {made:.3f} ns "
             f"an element for the made rounds ({entry}) and {skip:.3f} for a stepped one (skip): the "
             f"steps add {steps * skip:.3f} ns to each element, and the generator's work alone caps this "
             f"ratio near {cap:.2f}x")
    if cap < minimum:
        need = made * (1 / minimum - 1) / steps
        return (text + f", below the {minimum:g}x asked, which would need a stepped round at "
                f"{need:.3f} ns an element or less"), True
    if ratio < cap:
        return text + f"; the rest, {cap:.2f}x down to {ratio:.2f}x, is not the stepping", False
    return text, False


def explain(ev, target, ratio, best):
    """Why a measured target was missed, as sentences; "" for a met or unmeasured one."""
    if ratio is None or ratio >= target[5]:
        return ""
    case = target[2]
    findings = [rates_finding(ev, target), bound_finding(ev, case, target[3]), bytes_finding(ev, target),
                yardstick_finding(ev, target), insns_finding(ev, target)]
    findings += conversion_findings(ev, case) + [block_finding(ev, target, ratio), noise_finding(target, ratio, best),
                                                 spread_finding(ev, target)]
    findings = [f for f in findings if f]
    if not any(concludes for _, concludes in findings):
        findings.append((f"no cause shows in this run's numbers for the timed {ev.auto} path", False))
    return " ".join(text[0].upper() + text[1:] + "." for text, _ in findings)
