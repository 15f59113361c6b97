#!/usr/bin/python3
"""The dropout notebook, cell by cell, on simdrop.torch.

    SIMDROP_LIBRARY=build/libsimdrop.so PYTHONPATH=python /usr/bin/python3 examples/notebook.py

(after `meson install`, only PYTHONPATH=<prefix>/<libdir>/python3/dist-packages is needed).
Cells: the module and its repr; a 3x4x5 tensor through it; a 10-40-1 network whose hidden layer
is printed before and after dropout (each sample its own mask); one MSE + SGD(momentum) step with
parameters and gradients; and the same step with torch.nn.Dropout's formula fed simdrop's masks,
which gives equal loss, gradients and updated parameters. Exits 1 if they are not equal.
"""
import copy
import sys

import torch

import simdrop.torch as sdt

torch.set_printoptions(precision=4, linewidth=120)

# %% [1] Dropout, the module: torch.nn.Dropout's arguments and repr -----------------------------
torch.manual_seed(0)
dropout = sdt.Dropout(p=0.5, inplace=False)
print(dropout)

# %% [2] A 3x4x5 tensor through it: about half zeroed, the survivors doubled ---------------------
x = torch.arange(1, 61, dtype=torch.float32).reshape(3, 4, 5)  # from 1: a kept 0 would count as zeroed
y = dropout(x)
print(y)
kept = y != 0
print(f"{int((~kept).sum())} of {y.numel()} elements zeroed; "
      f"survivors doubled: {torch.equal(y[kept], 2 * x[kept])}")
dropout.eval()
print(f"eval mode returns the input unchanged: {dropout(x) is x}")


# %% [3] The network: Linear, ReLU, dropout, Linear ----------------------------------------------
class SimpleNeuralNetwork(torch.nn.Module):
    def __init__(self, input_size, hidden_size, dropout_prob, dropout_module=sdt.Dropout):
        super().__init__()
        self.fc1 = torch.nn.Linear(input_size, hidden_size)
        self.relu = torch.nn.ReLU()
        self.dropout = dropout_module(p=dropout_prob)
        self.fc2 = torch.nn.Linear(hidden_size, 1)
        self.show = False

    def forward(self, x):
        hidden = self.relu(self.fc1(x))
        dropped = self.dropout(hidden)
        if self.show:
            print("hidden layer before dropout (first 8 of 40 units):")
            print(hidden[:, :8])
            print("after dropout (first 8 units):")
            print(dropped[:, :8])
            print("nonzero units after dropout, all 40 per sample (each sample has its own mask):")
            for s, row in enumerate(dropped != 0):
                print(f"  sample {s}: " + "".join("1" if k else "." for k in row.tolist()))
        return self.fc2(dropped)


model = SimpleNeuralNetwork(input_size=10, hidden_size=40, dropout_prob=0.5)
print(model)
start = copy.deepcopy(model.state_dict())

# %% [4] One training step: MSE loss, SGD with momentum -----------------------------------------
inputs = torch.randn(5, 10)
targets = torch.randn(5, 1)
criterion = torch.nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)

rng = torch.get_rng_state()          # to replay the seed the dropout call draws (cell 5)
model.train()
model.show = True
optimizer.zero_grad()
loss = criterion(model(inputs), targets)
loss.backward()
model.show = False
print(f"loss: {loss.item():.6f}")
for name, param in model.named_parameters():
    print(f"{name}: gradient\n{param.grad}")
optimizer.step()
for name, param in model.named_parameters():
    print(f"{name} after the step:\n{param.data}")


# %% [5] The same step with torch.nn.Dropout fed the same masks ----------------------------------
class TorchDropoutWithMask(torch.nn.Dropout):
    """torch.nn.Dropout computing PyTorch's input * mask * (1 / (1 - p)) with a given mask."""
    mask = None

    def forward(self, input):
        return input * self.mask * (1.0 / (1.0 - self.p)) if self.training else input


torch.set_rng_state(rng)
seed = sdt.draw_seed()                                   # the seed cell 4's dropout drew
mask = sdt.keep_mask((5, 40), 0.5, seed)                 # and the mask it used
print(f"simdrop's seed for that call: {seed:#018x}; mask rows differ: "
      f"{len({tuple(r.tolist()) for r in mask}) == 5}")
reference = SimpleNeuralNetwork(10, 40, 0.5, dropout_module=TorchDropoutWithMask)
reference.load_state_dict(start)
reference.dropout.mask = mask
ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.03, momentum=0.9)
ref_optimizer.zero_grad()
ref_loss = criterion(reference(inputs), targets)
ref_loss.backward()
ref_optimizer.step()

same = torch.equal(loss, ref_loss)
print(f"loss: simdrop {loss.item():.9g}, torch.nn.Dropout {ref_loss.item():.9g}, equal: {same}")
for (name, p_ours), (_, p_ref) in zip(model.named_parameters(), reference.named_parameters()):
    g_eq = torch.equal(p_ours.grad, p_ref.grad)
    w_eq = torch.equal(p_ours.data, p_ref.data)
    print(f"{name:11s} gradient equal: {g_eq}, updated parameter equal: {w_eq}")
    same = same and g_eq and w_eq
print("the two steps are identical" if same else "MISMATCH")
sys.exit(0 if same else 1)
