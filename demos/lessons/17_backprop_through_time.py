# %% [markdown]
# # Lesson 17: backpropagation through time
#
# A recurrent network reads a sequence one step at a time and carries a hidden state $\vec h$ from each step
# to the next, always with the same weights:
#
# $$\vec h_t = \tanh(W_{ih}\,\vec x_t + \vec b_{ih} + W_{hh}\,\vec h_{t-1} + \vec b_{hh})$$
#
# Unrolled, that is an ordinary graph, one copy of the cell per time step, and backpropagation runs through it
# like through any other: "backpropagation through time". Two things follow. $W_{hh}$ is used once per time
# step, so its gradient is a sum over the steps. And the gradient that reaches step $t$ from the end has been
# multiplied by $W_{hh}^\top$ and the tanh's slope once for every step in between: over 30 steps a factor a
# bit below 1 vanishes, a factor above 1 explodes. Lessons 8 and 9 saw this across layers; here the layers
# are time steps and share their weights.

# %%
import math
import pathlib
import random

import matplotlib.pyplot as plt

from micrograd_plus import explain, no_grad, plots
from micrograd_plus.nn import RNN, Linear, Module
from micrograd_plus.optim import SGD, clip_grad_norm, grad_norm
from micrograd_plus.training import CompiledStep

# Numbers to change
STEPS = 30            # time steps to backpropagate through
HIDDEN = 16
LARGE = 3.0           # W_hh multiplied by this: large recurrent weights (with relu, nothing squashes them)
MEMORY_STEPS = 8      # the memory task: say the sign of the first of this many numbers
TRAINING_STEPS = 200
LEARNING_RATE = 0.1
MAX_NORM = 1.0        # clip_grad_norm's limit
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The gradient reaching each time step
#
# `RNN(1, 16)` reads 30 random numbers; the loss is the sum of the last hidden state. After `backward()`,
# every node of the unrolled graph has its gradient, and `h.j[t=5]` is unit j at step 5 (`rnn.h.j[t=5]` for an
# RNN held as `rnn` in a model): the norm of
# $\partial L/\partial \vec h_t$ over the units is how much gradient reached step $t$.

# %%
def unrolled_norms(nonlinearity, scale, steps, hidden, seed):
    """|dL/dh_t| for t = 0..steps-1, L the sum of the last hidden state; W_hh multiplied by ``scale``.
    Also the RNN and the loss, for explain()."""
    rnn = RNN(1, hidden, nonlinearity=nonlinearity, rng=seed)
    for row in rnn.weight_hh:
        for w in row:
            w.data *= scale
    rng = random.Random(seed)
    outputs, h = rnn([[rng.uniform(-1, 1)] for _ in range(steps)])
    loss = sum(h[1:], h[0])
    loss.backward()
    return [math.sqrt(sum(v.grad ** 2 for v in h_t)) for h_t in outputs], rnn, loss


vanishing, rnn, loss = unrolled_norms('tanh', 1.0, STEPS, HIDDEN, SEED)
exploding, _, _ = unrolled_norms('relu', LARGE, STEPS, HIDDEN, SEED)
print(f'tanh, weights as initialised: |dL/dh_t| from {vanishing[-1]:.2g} at t = {STEPS - 1} to '
      f'{vanishing[0]:.1e} at t = 0')
print(f'relu, W_hh x {LARGE}:          |dL/dh_t| from {exploding[-1]:.2g} at t = {STEPS - 1} to '
      f'{exploding[0]:.1e} at t = 0')

# %% [markdown]
# `explain` on one recurrent weight: one chain-rule term per time step, the later steps' terms the largest.

# %%
explained = explain(rnn.weight_hh[0][1], root=loss)
print('\n'.join(explained.splitlines()[:5]))


# %% [markdown]
# ## A task that needs memory, and clipping
#
# Read 8 numbers, then say whether the first was positive: the answer has to travel through 7 steps of
# $W_{hh}$. A relu RNN whose recurrent weights start 2 times too large makes huge outputs and a gradient of
# norm ~40 in the first step: plain SGD takes one giant step and lands where every relu is dead (the loss
# stays at ln 2, a coin toss). `clip_grad_norm` scales each gradient down to norm 1 first; the same SGD then
# learns the task.

# %%
class Memory(Module):
    """An RNN reading the sequence, and a Linear(hidden, 2) on its last hidden state."""

    def __init__(self, nonlinearity, scale, hidden, seed):
        self.rnn = RNN(1, hidden, nonlinearity=nonlinearity, rng=seed)
        self.head = Linear(hidden, 2, init='xavier', rng=seed + 1)
        for row in self.rnn.weight_hh:
            for w in row:
                w.data *= scale

    def __call__(self, xs):
        return self.head(self.rnn(xs)[1])


def memory_task(n, steps, seed):
    """n sequences of ``steps`` numbers in [-1, 1]; the label is 1 when the first number is positive."""
    rng = random.Random(seed)
    sequences = [[[rng.uniform(-1, 1)] for _ in range(steps)] for _ in range(n)]
    return sequences, [int(s[0][0] > 0) for s in sequences]


def train_memory(clip, steps, training_steps, learning_rate, seed, batch=32):
    """Losses and gradient norms per step, and the held-out accuracy, with or without clipping."""
    model = Memory('relu', 2.0, 8, seed)
    sequences, labels = memory_task(batch * training_steps, steps, seed + 3)
    step = CompiledStep(model, sequences[0], classes=2, batch_size=batch)
    optimizer = SGD(model.parameters(), lr=learning_rate)
    losses, norms = [], []
    for k in range(training_steps):
        losses.append(step(sequences[batch * k:batch * (k + 1)], labels[batch * k:batch * (k + 1)]))
        norms.append(clip_grad_norm(model.parameters(), MAX_NORM) if clip else grad_norm(model.parameters()))
        optimizer.step()
    held_out, answers = memory_task(200, steps, seed + 4)
    with no_grad():
        right = sum(int(s[1].data > s[0].data) == a for s, a in ((model(x), a) for x, a in zip(held_out, answers)))
    return losses, norms, right / len(answers)


runs = {clip: train_memory(clip, MEMORY_STEPS, TRAINING_STEPS, LEARNING_RATE, SEED) for clip in (False, True)}
for clip, (losses, norms, accuracy) in runs.items():
    print(f'{"with" if clip else "without"} clipping: first gradient norm {norms[0]:.0f}, loss {losses[0]:.2f} -> '
          f'{losses[-1]:.3f}, held-out accuracy {accuracy:.0%}')

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 7), layout='constrained')
plots.unrolled(vanishing, ax=axes[0][0], title=f'tanh over {STEPS} steps: the gradient vanishes going back')
plots.unrolled(exploding, ax=axes[0][1], title=f'relu, W_hh x {LARGE}: it explodes going back')
for clip, color in [(False, '#d95f02'), (True, '#1b9e77')]:
    losses, norms, accuracy = runs[clip]
    name = f'clip_grad_norm({MAX_NORM:g})' if clip else 'no clipping'
    axes[1][0].semilogy(norms, color=color, label=name)
    axes[1][1].plot(losses, color=color, label=f'{name}: {accuracy:.0%} held out')
axes[1][0].set(xlabel='training step', ylabel='gradient norm before clipping', title='the gradients')
axes[1][1].axhline(math.log(2), color='grey', linestyle=':', label='ln 2: a coin toss')
axes[1][1].set(xlabel='training step', ylabel='loss', ylim=(0, 2),
               title=f'remember the sign of the first of {MEMORY_STEPS} numbers')
axes[1][0].legend()
axes[1][1].legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '17_backprop_through_time.png', dpi=100)

# %% [markdown]
# ## The check

# %%
(plain_losses, plain_norms, plain_accuracy), (clip_losses, _, clip_accuracy) = runs[False], runs[True]
plain_end, clip_end = (sum(losses[-20:]) / 20 for losses in (plain_losses, clip_losses))  # the last 20 batches
print(f'CLAIM: through {STEPS} tanh steps the gradient reaching t = 0 is {vanishing[0] / vanishing[-1]:.0e} of the '
      f'one at the last step; with relu and W_hh x {LARGE} it is {exploding[0] / exploding[-1]:.0e} times it; '
      f'W_hh is used once per time step; on the memory task plain SGD ends at loss {plain_end:.2f} '
      f'({plain_accuracy:.0%} held out), clipped SGD at {clip_end:.2f} ({clip_accuracy:.0%})')
assert vanishing[0] < 1e-6 * vanishing[-1] and exploding[0] > 1e4 * exploding[-1]
assert f'used once per time step t = 0..{STEPS - 1}' in explained
assert plain_norms[0] > 10 and abs(plain_end - math.log(2)) < 0.02 and plain_accuracy < 0.65
assert clip_end < 0.3 and clip_accuracy > 0.9
