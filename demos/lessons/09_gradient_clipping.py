# %% [markdown]
# # Lesson 9: gradient clipping
#
# A step of gradient descent is $\epsilon$ times the gradient, so a huge gradient makes a huge step. One such
# step can throw the weights somewhere the loss, and so the next gradient, is larger still: a few steps later
# the numbers overflow to `inf` and `nan`. Lesson 8's ReLU network with weights that are too large starts
# with gradients in the thousands.
#
# Clipping by norm caps the step. Before each update, if the gradient's norm $\|g\| = \sqrt{\sum g^2}$ (over
# all parameters together) is above a limit, every gradient is scaled down by the same factor to bring the
# norm to the limit: the step keeps its direction and loses only its excess length. In the library that is
# `clip_grad_norm(model.parameters(), max_norm)` between `backward()` and `step()`; it returns the norm it
# found. (`clip_grad_value` clamps each gradient on its own instead, which can turn the step's direction.)

# %%
import math
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.losses import mse
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD, clip_grad_norm, grad_norm

# Numbers to change
MAX_NORM = 1.0          # the clipping limit
LEARNING_RATE = 0.01
STEPS = 80
DEPTH = 6               # hidden layers of 16 ReLU neurons, micrograd's uniform init (too large for them)
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Training, with or without clipping
#
# The same network from the same seed, trained twice. We record the loss and the gradient norm (before any
# clipping) at every step, and stop when the loss is no longer a finite number.

# %%
def train(max_norm, steps, learning_rate, depth, seed):
    """(losses, gradient norms, accuracy); max_norm None trains without clipping."""
    X, labels = make_moons(48, noise=0.1, seed=seed)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [16] * depth + [1], rng=seed)
    optimizer = SGD(model.parameters(), lr=learning_rate)
    losses, norms = [], []
    for _ in range(steps):
        loss = mse([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        norm = grad_norm(model.parameters()) if max_norm is None else clip_grad_norm(model.parameters(), max_norm)
        losses.append(loss.data)
        norms.append(norm)
        if not math.isfinite(loss.data):
            break
        optimizer.step()
    with no_grad():
        accuracy = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y)) / len(y)
    return losses, norms, accuracy


free_losses, free_norms, free_accuracy = train(None, STEPS, LEARNING_RATE, DEPTH, SEED)
clipped_losses, clipped_norms, clipped_accuracy = train(MAX_NORM, STEPS, LEARNING_RATE, DEPTH, SEED)
print('without clipping, loss per step: ' + ' '.join(f'{v:.3g}' for v in free_losses))
print(f'with clipping at {MAX_NORM}: loss {clipped_losses[0]:.3g} -> {clipped_losses[-1]:.3g} in {STEPS} steps, '
      f'accuracy {clipped_accuracy:.0%}; gradient norm {clipped_norms[0]:.3g} at the start, {clipped_norms[-1]:.3g} at '
      'the end')

# %% [markdown]
# ## The picture
#
# Left, the gradient norm at every step (before clipping) and the limit; right, the loss. Both on log scales,
# cut at a million: past that the unclipped run is written out.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained')
for losses, norms, color, name in [(free_losses, free_norms, '#d95f02', 'without clipping'),
                                   (clipped_losses, clipped_norms, '#1b9e77', f'clip_grad_norm(max_norm={MAX_NORM})')]:
    left.semilogy(norms, 'o-', color=color, markersize=3, label=name)
    right.semilogy(losses, 'o-', color=color, markersize=3, label=name)
for ax, values in [(left, free_norms), (right, free_losses)]:  # the blow-up leaves the chart: say where it went
    ax.set_ylim(0.1, 1e6)
    ax.text(len(values) + 1, 1e5, 'without clipping: ' + ', '.join(f'{v:.2g}' for v in values[1:]) +
            f' at step {len(values) - 1}', color='#d95f02', va='top', fontsize=9)
left.axhline(MAX_NORM, color='grey', linestyle=':', label=f'the limit, {MAX_NORM}')
left.set(xlabel='step', ylabel='gradient norm before clipping (log scale)', title='The gradient norm')
right.set(xlabel='step', ylabel='loss (log scale)',
          title=f'Clipped, the loss falls to {clipped_losses[-1]:.2f}; unclipped, it blows up')
left.legend()
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '09_gradient_clipping.png', dpi=100)

# %% [markdown]
# ## The check

# %%
print(f'CLAIM: from gradient norm {free_norms[0]:.3g}, training without clipping reaches loss {free_losses[-1]} at '
      f'step {len(free_losses) - 1}; clipped at {MAX_NORM} it falls from {clipped_losses[0]:.3g} to '
      f'{clipped_losses[-1]:.3g} in {STEPS} steps and classifies {clipped_accuracy:.0%} of the points')
assert not math.isfinite(free_losses[-1]) and len(free_losses) < 10
assert clipped_losses[-1] < clipped_losses[0] / 100 and clipped_accuracy > 0.85
