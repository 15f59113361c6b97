#!/usr/bin/python3
"""test_explain.py: the report's explanations, fed the measured numbers of two machines.

An Intel Xeon VM without AVX512-BF16 and an AMD Zen 5 VM with it (the rates are those their runs
measured, bench/report.sh), plus hand-made cases for each rule; asserts the sentences produced.
Standard library only: `/usr/bin/python3 bench/reporting/test_explain.py` (meson: suite 'report').
"""
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reporting import catalog, machine, measure, peers, sections, tables  # noqa: E402
from reporting.catalog import ENGINE_TARGETS, N16M, N64K  # noqa: E402
from reporting.explain import Evidence, counted_elsewhere, explain, verdict  # noqa: E402

M1 = 1 << 20
TARGETS = {t[0]: t for t in ENGINE_TARGETS}
# Bytes per element each case moves through the API (bench/simdrop_bench.cpp's op_bytes).
BYTES = {("forward_mask", "f32"): 8.125, ("forward_mask", "bf16"): 4.125, ("forward_mask", "f16"): 4.125,
         ("forward_mask", "f64"): 16.125,
         ("groups_forward", "f32"): 8.03, ("bias_dropout_add", "f32"): 12.125, ("bias_dropout_add", "bf16"): 6.125,
         ("memcpy", "f32"): 8, ("memcpy", "bf16"): 4, ("memcpy", "f64"): 16,
         ("block_forward_mask", "f32"): 8.125}


def results(path, rates, torch=None):
    """Results from {(op, dtype, group_len, n): Gelem/s} on `path` (memcpy: group_len None, no path)."""
    cases = {}
    for (op, dt, glen, n), gelem in rates.items():
        best = gelem * 1e9 if isinstance(gelem, float) else gelem[1] * 1e9
        items = (gelem if isinstance(gelem, float) else gelem[0]) * 1e9
        key = ("memcpy", dt, None, n, None, None) if op == "memcpy" else (op, dt, path, n, 0.1, glen)
        cases[key] = {"items": items, "bytes": items * BYTES[(op, dt)], "best": best, "reps": 5, "spread": 0.01}
    return measure.Results(cases, torch)


def facts(arch="x86_64", flags=(), library=None, built=None):
    cpu = {"arch": arch, "flags": list(flags)}
    features = machine.detected_features(cpu)
    if library is not None:
        features = {"source": "library", "from_library": True, "names": library, "label": "as detected"}
    present = {} if built is None else {f: f in built for f in machine.CONVERSION_INSTRUCTIONS}
    return {"cpu": cpu, "features": features, "native": {"library": "libsimdrop.so", "present": present}}


def why(ev, tid):
    target = TARGETS[tid]
    ratio = ev.res.engine_ratio(target[2], ev.auto, target[3], 0.1, target[4])
    best = ev.res.engine_ratio(target[2], ev.auto, target[3], 0.1, target[4], "best")
    return explain(ev, target, ratio, best)


# bf16 forward with mask on avx512 and the memcpy of its bytes, Gelem/s.
INTEL = {("forward_mask", "bf16", None, N64K): 3.62, ("forward_mask", "bf16", None, M1): 3.9,
         ("forward_mask", "bf16", None, N16M): 3.6, ("memcpy", "bf16", None, N16M): 4.6,
         ("forward_mask", "f32", None, N64K): 5.81, ("memcpy", "bf16", None, M1): 10.0}
AMD = {("forward_mask", "bf16", None, N64K): 7.96, ("forward_mask", "bf16", None, M1): 7.87,
       ("forward_mask", "f32", None, N64K): 12.31, ("memcpy", "bf16", None, M1): 22.49}


class Bf16OnTwoMachines(unittest.TestCase):
    def test_intel_without_bf16(self):
        ev = Evidence(results("avx512", INTEL), "avx512", facts(flags=["avx2", "avx512f"], built=["f16c"]))
        text = why(ev, "bf16_fwd_16M")
        self.assertIn("At 16M, forward_mask_bf16 runs 3.60 Gelem/s on avx512, memcpy_bf16 4.60 Gelem/s.", text)
        self.assertIn("Compute-bound: its rate hardly changes with where the data are (3.62 Gelem/s at 64K, "
                      "3.60 Gelem/s at 16M), while it moves its bytes at 0.81x memcpy's bytes per second "
                      "(memcpy_bf16 runs 4.60 Gelem/s at 16M).", text)
        self.assertIn("This CPU has no AVX512-BF16 (per /proc/cpuinfo)", text)
        self.assertNotIn("This CPU has AVX512-BF16", text)

    def test_a_noisy_yardstick_is_named(self):
        # the AMD VM's run of aeb331e: memcpy_bf16 at 16M spread 42% (8.1 to 12.6 Gelem/s)
        res = results("avx512bf16", {("forward_mask", "bf16", None, N16M): 5.94,
                                     ("memcpy", "bf16", None, N16M): 9.56})
        key = ("memcpy", "bf16", None, N16M, None, None)
        res.cases[key]["spread"] = 0.42
        ev = Evidence(res, "avx512bf16", facts(flags=["avx2", "avx512f", "avx512_bf16"], built=["avx512_bf16"]))
        text = why(ev, "bf16_fwd_16M")
        self.assertIn("The repetitions of memcpy_bf16 at 16M spread over 42% of their median time (those of "
                      "forward_mask_bf16 over 1%): the yardstick itself moved that much within this run.", text)
        self.assertIn("No cause shows in this run's numbers", text)  # it names no cause
        res.cases[key]["spread"] = 0.2
        self.assertNotIn("The repetitions of", why(ev, "bf16_fwd_16M"))

    def test_amd_with_bf16_unused_by_the_build(self):
        ev = Evidence(results("avx512", AMD), "avx512", facts(flags=["avx2", "avx512f", "avx512_bf16"], built=["f16c"]))
        text = why(ev, "bf16_fwd_64K")
        self.assertIn("Compute-bound in cache: its rate hardly improves when the data are in cache "
                      "(7.96 Gelem/s at 64K, 7.87 Gelem/s at 1M).", text)
        self.assertIn("its bytes do not hold it back", text)
        self.assertIn("This CPU has AVX512-BF16 (per /proc/cpuinfo), but libsimdrop.so contains no "
                      "vcvtne2ps2bf16: this build does the float to bf16 rounding without it.", text)
        self.assertNotIn("has no AVX512-BF16", text)

    def test_amd_at_memory_speed_in_dram(self):
        rates = {**AMD, ("forward_mask", "bf16", None, N16M): 7.53, ("memcpy", "bf16", None, N16M): 8.41}
        ev = Evidence(results("avx512", rates), "avx512", facts(flags=["avx512_bf16"], built=["f16c"]))
        self.assertIn("Memory-bound at 16M: it moves its bytes at 0.92x memcpy's bytes per second there "
                      "(7.96 Gelem/s at 64K, 7.53 Gelem/s at 16M).", why(ev, "bf16_fwd_16M"))
        self.assertNotIn("ompute-bound", why(ev, "bf16_fwd_16M"))

    def test_amd_with_bf16_detected_and_used(self):
        machine_facts = facts(library=["sse2", "avx2", "avx512bf16"], built=["avx512_bf16", "f16c"])
        ev = Evidence(results("avx512bf16", AMD), "avx512bf16", machine_facts)
        self.assertIn("The timed avx512bf16 path does the float to bf16 rounding with vcvtne2ps2bf16 "
                      "(AVX512-BF16).", why(ev, "bf16_fwd_64K"))
        # The timed path, not the library's other kernels, says how the rounding is done.
        text = why(Evidence(results("avx512", AMD), "avx512", machine_facts), "bf16_fwd_64K")
        self.assertIn("The timed avx512 path does the float to bf16 rounding in integer code (its kernels use "
                      "no AVX512-BF16 instruction). This CPU has AVX512-BF16 (as the library detected) and "
                      "libsimdrop.so contains vcvtne2ps2bf16, but only the avx512bf16 path uses it, and the "
                      "timed path is none of them.", text)

    def test_f16c_without_avx2_runs_sse2s_integer_conversion(self):
        # Ivy Bridge: F16C but no AVX2, so sse2 (meson.build: avx2 needs avx2 and f16c); the library
        # holds the avx2 and avx512 kernels' vcvtps2ph, which the timed path never runs.
        rates = {("forward_mask", "f16", None, N64K): 1.62, ("forward_mask", "f32", None, N64K): 2.7}
        ev = Evidence(results("sse2", rates), "sse2", facts(library=["sse2", "avx", "f16c"], built=["f16c"]))
        text = why(ev, "f16_fwd_64K")
        self.assertIn("The timed sse2 path does the float <-> f16 conversion in integer code (its kernels use no "
                      "F16C instruction). This CPU has F16C (as the library detected) and libsimdrop.so contains "
                      "vcvtps2ph, but only the avx2, avx512 and avx512bf16 paths use it, and the timed path is "
                      "none of them.", text)
        self.assertNotIn("for the float <-> f16 conversion", text)
        self.assertNotIn("AVX512-FP16", text)  # no path of the library uses its conversions

    def test_no_disassembly_says_unknown(self):
        ev = Evidence(results("avx512", AMD), "avx512", facts(flags=["avx512_bf16"], built=None))
        self.assertIn("whether this build uses it is unknown", why(ev, "bf16_fwd_64K"))

    def test_no_x86_sentences_on_aarch64(self):
        ev = Evidence(results("neon", AMD), "neon", facts(arch="aarch64", flags=["asimd", "bf16"], built=[]))
        text = why(ev, "bf16_fwd_64K")
        self.assertNotIn("AVX512", text)
        self.assertIn("Compute-bound", text)


class Rules(unittest.TestCase):
    def test_met_targets_get_no_explanation(self):
        torch = {"results": [{"op": "bias_dropout_add", "dtype": "f32", "n": N16M, "p": 0.1,
                              "median_s": N16M / 0.0092e9, "min_s": N16M / 0.0093e9}]}
        res = results("avx512", {("bias_dropout_add", "f32", None, N16M): 1.84, ("memcpy", "f32", None, N16M): 1.9},
                      torch)
        ev = Evidence(res, "avx512", facts())
        self.assertEqual(why(ev, "bda_vs_torch_16M"), "")  # 200x against a 30x target

    def test_torch_sets_the_ratio_when_simdrop_runs_at_memory_speed(self):
        torch = {"results": [{"op": "bias_dropout_add", "dtype": "f32", "n": N16M, "p": 0.1,
                              "median_s": N16M / 0.054e9, "min_s": N16M / 0.062e9}]}
        res = results("avx512", {("bias_dropout_add", "f32", None, N16M): (1.61, 1.62),
                                 ("memcpy", "f32", None, N16M): 1.2}, torch)
        text = why(Evidence(res, "avx512", facts()), "bda_vs_torch_16M")
        self.assertIn("At 16M, bias_dropout_add_f32 runs 1.61 Gelem/s on avx512, PyTorch's bias_dropout_add "
                      "(bench/torch_bench.py) 0.054 Gelem/s.", text)
        self.assertIn("On this machine PyTorch's bias_dropout_add (bench/torch_bench.py) sets this ratio: "
                      "bias_dropout_add_f32 already moves its bytes at 2.03x memcpy's bytes per second at 16M.", text)
        self.assertNotIn("noise", text)  # the fastest repetitions (26x) miss it too

    def test_noise_when_the_fastest_repetitions_meet_it(self):
        res = results("avx512", {("forward_mask", "bf16", None, N64K): (4.6, 4.9),
                                 ("forward_mask", "f32", None, N64K): 5.9})
        text = why(Evidence(res, "avx512", facts()), "bf16_fwd_64K")  # needs 0.8x: 0.78x, best 0.83x
        self.assertIn("The fastest repetitions reach 0.83x and meet it", text)

    def test_bytes_set_the_ratio(self):
        res = results("avx512", {("forward_mask", "f64", None, N64K): 3.15, ("forward_mask", "f32", None, N64K): 5.81})
        text = why(Evidence(res, "avx512", facts()), "f64_fwd_64K")
        self.assertNotIn("-bound", text)  # measured in cache only
        self.assertIn("It moves 16.1 B/element against 8.1 for forward_mask_f32, so at the same bytes per second "
                      "it would run at 0.50x; it moves 1.08x their bytes per second: the bytes set this ratio, "
                      "and 0.7x would need 1.39x their bytes per second.", text)

    def test_bytes_alone_when_below_the_yardsticks_bandwidth(self):
        res = results("avx512", {("forward_mask", "f64", None, N64K): 5.42, ("forward_mask", "f32", None, N64K): 12.48})
        text = why(Evidence(res, "avx512", facts()), "f64_fwd_64K")
        self.assertIn("it moves 0.86x their bytes per second; 0.7x would need 1.39x their bytes per second.", text)
        self.assertNotIn("No cause", text)

    def test_no_cause_rather_than_a_guess(self):
        res = results("avx512", {("groups_forward", "f32", 4, N64K): 3.03, ("forward_mask", "f32", None, N64K): 5.81})
        text = why(Evidence(res, "avx512", facts()), "groups4_fwd_64K")
        self.assertTrue(text.endswith("No cause shows in this run's numbers for the timed avx512 path."), text)

    def test_instruction_counts_on_the_timed_path_conclude(self):
        res = results("avx512", {("groups_forward", "f32", 4, N64K): 3.03, ("forward_mask", "f32", None, N64K): 5.81})
        insns = {"counter": "the CPU's instruction counter", "path": "avx512", "n": M1,
                 "per_element": {("groups_forward", "f32", 4): 3.1, ("forward_mask", "f32", None): 2.07}}
        text = why(Evidence(res, "avx512", facts(), insns), "groups4_fwd_64K")
        self.assertIn("3.10 instructions/element against 2.07 for forward_mask_f32 (1.50x as many: more work "
                      "per element; the CPU's instruction counter on avx512).", text)
        self.assertNotIn("No cause", text)

    def test_instruction_counts_from_another_path_say_so_and_conclude_nothing(self):
        res = results("avx512", {("groups_forward", "f32", 4, N64K): 3.03, ("forward_mask", "f32", None, N64K): 5.81})
        insns = {"counter": "callgrind", "path": "avx2", "n": M1,
                 "per_element": {("groups_forward", "f32", 4): 3.07, ("forward_mask", "f32", None): 2.13}}
        text = why(Evidence(res, "avx512", facts(), insns), "groups4_fwd_64K")
        self.assertIn("3.07 instructions/element against 2.13 for forward_mask_f32 (1.44x; callgrind on avx2, "
                      "not the timed avx512 path).", text)
        self.assertEqual(counted_elsewhere(insns, "avx512"),
                         "valgrind does not execute AVX-512, so the library picks avx2 under it")
        self.assertIn("No cause shows", text)

    def test_a_size_between_cache_and_the_largest_is_explained(self):
        # The Intel Xeon VM of model 207 (the run of c3cace9), 64M measured too: the 16M target was
        # left with "no cause" while only the largest size was read; with its mask's bytes it
        # moves 0.92x memcpy's bytes per second there.
        res = results("avx512bf16", {("forward_mask", "bf16", None, N64K): 5.76,
                                     ("forward_mask", "bf16", None, N16M): 6.03,
                                     ("forward_mask", "bf16", None, 4 * N16M): 4.77,
                                     ("memcpy", "bf16", None, N16M): 6.79})
        text = why(Evidence(res, "avx512bf16", facts()), "bf16_fwd_16M")
        self.assertIn("Memory-bound at 16M: it moves its bytes at 0.92x memcpy's bytes per second there "
                      "(5.76 Gelem/s at 64K, 6.03 Gelem/s at 16M).", text)
        self.assertNotIn("No cause", text)

    def test_verdict(self):
        self.assertEqual(verdict(0.95, 0.9), "met")
        self.assertEqual(verdict(0.78, 0.9), "**missed** by 0.12x (13% short)")
        self.assertEqual(verdict(None, 0.9), "not measured")

    def test_a_hair_under_the_target_never_prints_as_the_target(self):
        self.assertEqual(verdict(0.8996, 0.9), "**missed** by <0.01x (<1% short)")
        self.assertEqual((tables.xfmt(0.8996, 0.9), tables.xfmt(0.8996), tables.xfmt(0.78, 0.9)),
                         ("0.899x", "0.90x", "0.78x"))
        res = results("avx2", {("forward_mask", "f32", None, N16M): 0.8996 * 1.5, ("memcpy", "f32", None, N16M): 1.5})
        row = next(line for line in tables.memory_targets_table(res, "avx2") if "forward_mask_f32" in line)
        self.assertIn("| 0.899x **missed** by <0.01x (<1% short) |", row)


class ColumnShards(unittest.TestCase):
    """The Intel Xeon VM of 2026-12-07 (model 167, avx512bf16): rates from simdrop_bench, kernel
    times from checkasm --bench."""
    KERNELS = {("gen2_SCALE_f32", "avx512bf16"): 0.114, ("gen_SCALE_f32", "avx512bf16"): 0.106,
               ("skip", "avx512bf16"): 0.026}
    RATES = {("forward_mask", "f32", None, N64K): 9.34, ("forward_mask", "f32", None, N16M): 3.2,
             ("block_forward_mask", "f32", 256, N64K): 5.78, ("block_forward_mask", "f32", 256, N16M): 2.0,
             ("block_forward_mask", "f32", 32, N64K): 4.4, ("block_forward_mask", "f32", 32, N16M): 3.0}

    def explain(self, tid, kernels=KERNELS):
        return why(Evidence(results("avx512bf16", self.RATES), "avx512bf16", facts(), kernels=kernels), tid)

    def test_steps_per_made_round(self):
        from reporting.explain import stepped_per_made
        # rows of 1024: the lead alone; 256: 8 + 3 * 24 rounds for 32 made; 32: 1 + 31 * 3 for 32
        self.assertEqual([stepped_per_made(c) for c in (1024, 256, 32)], [1.0, 2.5, 94 / 32])
        self.assertIsNone(stepped_per_made(48))  # rows that are not whole rounds
        self.assertIsNone(stepped_per_made(4096))  # a global row of four generator blocks

    def test_the_kernel_rates_cap_the_ratio_in_cache(self):
        text = self.explain("block256_fwd_64K")  # 5.78 / 9.34 = 0.62x of 0.9x
        self.assertIn("steps its lanes through 2.50 rounds for each one it makes", text)
        # gen2's 0.114 ns (the contiguous call's kernel), + 2.5 * 0.026: 0.114 / 0.179 = 0.64
        self.assertIn("take 0.114 ns an element for the made rounds (gen2_SCALE_f32) and 0.026 for a stepped "
                      "one (skip): the steps add 0.065 ns to each element, and the generator's work alone caps "
                      "this ratio near 0.64x, below the 0.9x asked, which would need a stepped round at 0.005 ns "
                      "an element or less.", text)
        self.assertNotIn("No cause shows", text)

    def test_below_a_cap_that_meets_the_target_the_rest_is_unexplained(self):
        text = self.explain("block32_fwd_64K")  # 4.4 / 9.34 = 0.47x of 0.5x; the cap is 0.60x
        self.assertIn("caps this ratio near 0.60x; the rest, 0.60x down to 0.47x, is not the stepping.", text)
        self.assertIn("No cause shows in this run's numbers", text)

    def test_no_cap_without_kernel_times_or_out_of_cache(self):
        for text in (self.explain("block256_fwd_64K", kernels=None), self.explain("block256_fwd_16M")):
            self.assertIn("steps its lanes through 2.50 rounds for each one it makes", text)
            self.assertNotIn("caps this ratio", text)


class Inputs(unittest.TestCase):
    def test_callgrind_dumps_give_the_counts(self):
        with tempfile.TemporaryDirectory() as d:
            listing = os.path.join(d, "instructions.txt")
            with open(listing, "w") as f:
                f.write("INSNS index=1 case=forward_mask_f32 path=avx2 n=1048576\n"
                        "INSNS index=2 case=groups_forward_f32 group_len=4 path=avx2 n=1048576\n")
            for k, total in ((1, 2234893), (2, 3221868)):
                with open(os.path.join(d, f"callgrind.out.{k}"), "w") as f:
                    f.write(f"events: Ir\nsummary: {total}\n")
            got = measure.load_instructions(listing, os.path.join(d, "callgrind.out"))
        self.assertEqual((got["counter"], got["path"], got["n"]), ("callgrind", "avx2", 1048576))
        self.assertAlmostEqual(got["per_element"][("forward_mask", "f32", None)], 2234893 / 1048576)
        self.assertAlmostEqual(got["per_element"][("groups_forward", "f32", 4)], 3221868 / 1048576)

    def test_hardware_counts_are_read_as_printed(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("INSNS index=1 case=forward_mask_bf16 path=avx512 n=1048576 per_element=2.512\n")
            f.flush()
            got = measure.load_instructions(f.name)
        self.assertIn("instruction counter", got["counter"])
        self.assertEqual(got["per_element"], {("forward_mask", "bf16", None): 2.512})

    def test_kernel_bench_table_is_read_by_path(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("bench: ns per element, 64K elements in cache, best of 5; (x) = speed-up over scalar\n"
                    "kernel                 avx512bf16           avx2           scalar\n"
                    "gen2_SCALE_f32       0.114 ( 16.4x)    0.151 ( 12.4x)    1.868 (  1.0x)\n"
                    "skip                 0.026 (  4.2x)    0.054 (  2.0x)    0.107 (  1.0x)\n"
                    "checkasm: a line that is no row\n")
            f.flush()
            got = measure.load_kernel_bench(f.name)
        self.assertEqual(got, {("gen2_SCALE_f32", "avx512bf16"): 0.114, ("gen2_SCALE_f32", "avx2"): 0.151,
                               ("gen2_SCALE_f32", "scalar"): 1.868, ("skip", "avx512bf16"): 0.026,
                               ("skip", "avx2"): 0.054, ("skip", "scalar"): 0.107})
        self.assertIsNone(measure.load_kernel_bench(None))

    def test_library_feature_report_wins_over_cpuinfo(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("sse2 avx avx2 f16c avx512f avx512bw avx512vl avx512bf16\n")
            f.flush()
            got = machine.detected_features({"flags": ["avx512_bf16", "sse2"]}, f.name)
        self.assertTrue(got["from_library"])
        self.assertTrue(machine.has_feature(got, "avx512_bf16"))
        self.assertFalse(machine.has_feature(got, "avx512fp16"))
        fallback = machine.detected_features({"flags": ["sse2", "avx512_bf16", "pni"]})
        self.assertIn("/proc/cpuinfo", fallback["label"])
        self.assertEqual(machine.relevant(fallback), ["sse2", "avx512_bf16"])



class TestDropInSection(unittest.TestCase):
    """peers.torch_module_section: simdrop.torch.Dropout against torch.nn.Dropout."""

    def test_rows_slower_rows_and_skips(self):
        row = {"case": "dropout fwd+bwd", "dtype": "float32", "inplace": False, "simdrop_faults": 0.0}
        torch = {"torch_version": "1.13", "modules": {"simdrop_isa": "avx512", "budget_s": 0.5, "rows": [
            {**row, "n": 1, "simdrop_s": 13.2e-6, "torch_s": 11.2e-6, "speedup": 11.2 / 13.2, "torch_faults": 0.0},
            {**row, "n": M1, "simdrop_s": 0.5e-3, "torch_s": 20e-3, "speedup": 40.0, "simdrop_faults": 355.0,
             "torch_faults": 0.0},
            {"case": "dropout fwd+bwd", "dtype": "float16", "torch_s": None, "torch_error": "not for 'Half'"},
            {"case": "mlp step", "net": "10-40-1, batch 5", "dtype": "float32", "simdrop_s": 150e-6,
             "torch_s": 151e-6, "speedup": 151 / 150, "simdrop_faults": 0.0, "torch_faults": 0.0},
            {"case": "dropout2d fwd+bwd", "dtype": "float32", "shape": [32, 64, 8, 8],
             "layout": "channels_last", "n": 131072, "simdrop_s": 80e-6, "torch_s": 72e-6,
             "speedup": 0.9, "simdrop_faults": 2.0, "torch_faults": 0.0}]}}
        text = "\n".join(peers.torch_module_section(torch))
        self.assertIn("| float32 | 1 | 13.2 us | 11.2 us | 0.85x | 0 / 0 |", text)
        self.assertIn("| float32 | 1M | 500.0 us | 20.000 ms | 40.00x | 355 / 0 |", text)
        self.assertIn("| float16 | all | | | | PyTorch cannot run it: `not for 'Half'` |", text)
        self.assertIn("| training step 10-40-1, batch 5, float32 |  | 150.0 us | 151.0 us | 1.01x | 0 / 0 |", text)
        self.assertIn("| Dropout2d (32, 64, 8, 8) channels_last, float32 | 128K | 80.0 us | 72.0 us | 0.90x "
                      "| 2 / 0 |", text)
        self.assertIn("Slower than PyTorch on this run: float32 n = 1 (0.85x), Dropout2d (32, 64, 8, 8) "
                      "channels_last, float32 n = 128K (0.90x).", text)
        self.assertNotIn("faults in pages", text)  # 1M is the largest size here: first touches
        rows = torch["modules"]["rows"]
        rows.append({**row, "n": 16 * M1, "simdrop_s": 9e-3, "torch_s": 0.2, "speedup": 22.0,
                     "simdrop_faults": 1088.0, "torch_faults": 49155.0})
        self.assertIn("simdrop faults in pages below the largest size (float32 n = 1M: 355 a call)",
                      "\n".join(peers.torch_module_section(torch)))
        rows[1] = {**rows[1], "simdrop_faults": 0.0}
        self.assertNotIn("faults in pages", "\n".join(peers.torch_module_section(torch)))
        skipped = peers.torch_module_section({"modules": {"skipped": "simdrop.torch did not import: x"}})
        self.assertEqual(skipped[-1], "Not measured: simdrop.torch did not import: x.")
        self.assertEqual(peers.torch_module_section({"torch_version": "1.13"}), [])  # an older torch.json

    def test_small_calls_on_intel_name_their_path(self):
        # src/dispatch.c: on Intel, "auto" runs calls under 16384 elements on the best path without AVX-512.
        paths = ["avx512bf16", "avx512", "avx2", "sse2", "scalar"]
        modules = {"simdrop_isa": "avx512bf16", "budget_s": 0.5, "rows": []}
        intel = "\n".join(peers.torch_module_section({"torch_version": "1.13", "modules": modules},
                                                    "GenuineIntel", paths))
        self.assertIn("simdrop on `avx512bf16` (calls under 16384 elements: `avx2`, as on every Intel CPU whose "
                      "best path is AVX-512);", intel)
        amd = "\n".join(peers.torch_module_section({"torch_version": "1.13", "modules": modules},
                                                  "AuthenticAMD", paths))
        self.assertIn("simdrop on `avx512bf16`;", amd)
        forced = {**modules, "simdrop_isa_forced": True}
        self.assertIn("simdrop on `avx512bf16`;", "\n".join(peers.torch_module_section(
            {"torch_version": "1.13", "modules": forced}, "GenuineIntel", paths)))
        self.assertEqual(peers.small_call_path("GenuineIntel", "avx2", paths[2:]), "avx2")
        self.assertEqual(peers.small_call_path("GenuineIntel", "avx512", ["avx512", "sse2", "scalar"]), "sse2")


def header_run(pinned):
    """What sections.header reads of a run: bench/report.sh's arguments and an AMD Zen 5 CPU."""
    args = types.SimpleNamespace(mode="full", command="bench/report.sh", elapsed="", source="v1", pinned=pinned)
    cpu = {"model": "EPYC", "vendor": "AuthenticAMD", "family": "26", "model_id": "2", "zen": "Zen 5"}
    return types.SimpleNamespace(args=args, context={}, machine={"cpu": cpu, "flag_rows": []}, auto="avx2")


class Sections(unittest.TestCase):
    """sections.py's lines on the machine (off x86 too), the run's conditions and the targets' intro."""

    def test_aarch64_names_no_x86_instructions_and_no_unknown_fields(self):
        cpu = {"arch": "aarch64", "vendor": "ARM", "family": "?", "model_id": "1", "model": "Neoverse-N1",
               "zen": None}
        run = types.SimpleNamespace(machine={"cpu": cpu, "native": {"library": "libsimdrop.so", "present": {
            f: False for f in machine.CONVERSION_INSTRUCTIONS}}})
        self.assertEqual(sections.native_line(run),
                         "- Native conversion instructions in the build: not checked on this architecture (aarch64)")
        self.assertEqual(sections.cpu_name(run), "Neoverse-N1 (model 1)")
        self.assertEqual(sections.cpu_ids(cpu, True), "ARM model 1")
        cpu.update(family="25", model_id="?", zen="Zen 3 / Zen 4", vendor="AuthenticAMD")
        self.assertEqual(sections.cpu_name(run), "Neoverse-N1 (family 25, Zen 3 / Zen 4)")

    def test_pinning_as_report_sh_found_it(self):
        # bench/report.sh passes --pinned "not pinned" where taskset is missing or refused.
        self.assertIn("from the CPU time of the one thread, not pinned to a core (see Noise",
                      "".join(sections.header(header_run("not pinned"))))
        torch = {"torch_version": "2.6", "threads": 1, "results": []}
        self.assertIn("1 thread, not pinned to a core, as simdrop's;",
                      peers.torch_section(None, torch, "", ["avx2"], [], [], catalog.pinning("not pinned"))[0])
        self.assertIn("mask and backward, one thread pinned to CPU 3, p = 0.1",
                      peers.xsmm_section([], catalog.pinning("3"))[0])

    def test_flags_line_names_the_forbidden_flags_found(self):
        rows = [("libsimdrop.so.1.2.0: simdrop.c", "-O3 -march=native -ffast-math -fPIC")]
        self.assertEqual(sections.flags_line(rows),
                         "- Flags used (from compile_commands.json): **-ffast-math and -march=native**, which the "
                         "project's builds never use (fast-math gives up exact NaNs, -march=native makes code for "
                         "this machine alone):")
        self.assertEqual(sections.flags_line([("libsimdrop.so.1.2.0: simdrop.c", "-O3 -fPIC -ffp-contract=off")]),
                         "- Flags used (from compile_commands.json; none of -ffast-math, -Ofast, -march=native):")

    def test_targets_intro_says_at_which_size_boundness_is_judged(self):
        # explain.bound_finding: a 16M target at 16M although 64M was measured too.
        intro = sections.engine_targets_intro([])
        self.assertIn("for a target out of cache, at the target's own size, *memory-bound* where", intro)
        self.assertIn("for an in-cache target (the smallest size), *compute-bound* where its rate at the largest "
                      "size measured is >= 0.8x its in-cache one;", intro)
        self.assertNotIn("at the largest size measured, *memory-bound*", intro)

    def test_baselines_and_the_fused_op_say_what_their_bytes_are(self):
        self.assertIn("The baselines count the bytes of the operation they stand in for, not their own traffic: "
                      "the two-pass ones dropout's 4 B in + 4 B out per element (their float noise array makes it "
                      "16 B forward, 12 B backward)", "".join(sections.header(header_run("1"))))
        res = results("avx512", {("bias_dropout_add", "f32", None, N16M): 1.6, ("memcpy", "f32", None, N16M): 1.9,
                                 ("forward_mask", "f32", None, N16M): 1.8})
        fused = tables.engine_detail_table(res, ("bias_dropout_add", "f32", None), ["avx512"], [N16M])
        self.assertIn("| % of memcpy (same n: this moves 1.52x its bytes) |", fused[0])
        plain = tables.engine_detail_table(res, ("forward_mask", "f32", None), ["avx512"], [N16M])
        self.assertIn("| % of memcpy (same bytes) |", plain[0])

    def test_store_policy_only_where_the_kernels_stream(self):
        self.assertIn("non-temporal stores from one L2 of output on Intel", sections.store_policy("avx2"))
        self.assertEqual(sections.store_policy("neon"),
                         "The `neon` path's stores are regular ones (only the x86 kernels have non-temporal stores).")


if __name__ == "__main__":
    unittest.main()
