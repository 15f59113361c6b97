"""The examples: one step (and a momentum step) of examples/mlp.c against PyTorch on identical
weights, inputs and masks (max abs difference <= 1e-6 on losses, gradients and updated
parameters); mlp's mask and regeneration runs agree; examples/notebook.py runs and finds its
simdrop step identical to torch.nn.Dropout's.

Usage: test_examples.py MLP_BINARY NOTEBOOK_PY. Exits 77 (skipped) when torch is not installed."""
import os
import subprocess
import sys
import tempfile
import unittest

from _testenv import require

require('torch')
import torch  # noqa: E402

import simdrop.torch as sdt

MLP, NOTEBOOK = sys.argv[1], sys.argv[2]


def run_step_file(params, x, y, p, seed, offset, steps, lr=0.03, momentum=0.9):
    w1, b1, w2, b2 = params
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(f"{x.shape[0]} {steps} {p!r} {seed} {offset} {lr!r} {momentum!r}\n")
        for t in (x, y, w1, b1, w2, b2):
            f.write(" ".join(repr(v) for v in t.reshape(-1).tolist()) + "\n")
    try:
        r = subprocess.run([MLP, "--step", f.name], capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    out = {}
    for line in r.stdout.splitlines():
        name, *vals = line.split()
        out[name] = torch.tensor([float(v) for v in vals], dtype=torch.float32)
    return out


class MlpAgainstPyTorch(unittest.TestCase):
    def compare(self, B, p, seed, offset, steps):
        torch.manual_seed(seed % 1000)
        fc1, fc2 = torch.nn.Linear(10, 40), torch.nn.Linear(40, 1)
        x, y = torch.randn(B, 10), torch.randn(B, 1)
        c = run_step_file([t.detach() for t in (fc1.weight, fc1.bias, fc2.weight, fc2.bias)],
                          x, y, p, seed, offset, steps)
        params = list(fc1.parameters()) + list(fc2.parameters())
        opt = torch.optim.SGD(params, lr=0.03, momentum=0.9)
        losses = []
        s = 0.0 if p == 1 else 1.0 / (1.0 - p)
        for t in range(steps):
            mask = sdt.keep_mask((B, 40), p, seed, offset + t * B * 40)
            opt.zero_grad()
            out = fc2(torch.relu(fc1(x)) * mask * s)
            loss = torch.nn.functional.mse_loss(out, y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertEqual(c["regen_equal"].item(), 1.0, "mlp: regenerated backward differs from the mask's")
        worst = 0.0
        for name, ref in [("losses", torch.tensor(losses)),
                          ("grad_w1", fc1.weight.grad), ("grad_b1", fc1.bias.grad),
                          ("grad_w2", fc2.weight.grad), ("grad_b2", fc2.bias.grad),
                          ("w1", fc1.weight), ("b1", fc1.bias), ("w2", fc2.weight), ("b2", fc2.bias)]:
            diff = (c[name] - ref.detach().reshape(-1)).abs().max().item()
            worst = max(worst, diff)
            self.assertLessEqual(diff, 1e-6, f"{name}: max abs difference {diff:g} (B={B}, steps={steps})")
        print(f"  B={B} steps={steps} p={p}: max abs difference {worst:.3g}")

    def test_one_step(self):
        self.compare(B=5, p=0.5, seed=12345, offset=0, steps=1)

    def test_momentum_steps_and_offsets(self):
        self.compare(B=5, p=0.5, seed=99, offset=4090, steps=3)
        self.compare(B=32, p=0.2, seed=2**64 - 1, offset=10**12, steps=2)

    def test_regen_training_identical(self):
        a = subprocess.run([MLP, "--steps", "60"], capture_output=True, text=True, check=True).stdout
        b = subprocess.run([MLP, "--steps", "60", "--regen"], capture_output=True, text=True, check=True).stdout
        self.assertEqual(a.splitlines()[1:], b.splitlines()[1:])
        losses = [float(line.split()[2]) for line in a.splitlines()[2:]]
        self.assertLess(losses[-1], losses[0])  # it learns

    def test_last_step_printed(self):  # a tenth of 25 steps is 2: the 25th is printed too
        out = subprocess.run([MLP, "--steps", "25"], capture_output=True, text=True, check=True).stdout
        self.assertEqual([int(line.split()[0]) for line in out.splitlines()[2:]],
                         [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25])

    def test_notebook(self):
        r = subprocess.run([sys.executable, NOTEBOOK], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        self.assertIn("Dropout(p=0.5, inplace=False)", r.stdout)
        self.assertIn("the two steps are identical", r.stdout)
        self.assertIn("survivors doubled: True", r.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
