# %% [markdown]
# # Lesson 11: dropout
#
# With few training points and many weights, a network can learn the points themselves, noise included, instead
# of the pattern behind them: its loss on the training set keeps falling while its loss on new points (a
# validation set it never trains on) turns and rises. That is overfitting.
#
# Dropout (Srivastava, Hinton et al.) switches off each hidden neuron at random, with probability $p$, at every
# training step, and scales the survivors by $1/(1-p)$ so that their sum keeps its size on average. No neuron
# can count on any other being there, so the network cannot build the fragile, point-by-point detail that
# overfitting needs. At evaluation time (`model.eval()`) dropout is off and every neuron takes part.

# %%
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.losses import binary_cross_entropy_with_logits
from micrograd_plus.nn import Dropout, Linear, ReLU, Sequential
from micrograd_plus.optim import Adam

# Numbers to change
P = 0.5                 # dropout probability
TRAINING_POINTS = 20    # few points, noisy: easy to overfit
NOISE = 0.4             # how far the points scatter from the two moons
STEPS = 200
WIDTH = 32              # many weights for 20 points: room to learn each point by heart
LEARNING_RATE = 0.03
EVERY = 5               # measure both losses every this many steps
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The network, with and without dropout
#
# Two hidden layers of 32 ReLU neurons, He-initialised; with dropout, a `Dropout(p)` layer after each. The
# same seeds give both networks the same starting weights.

# %%
def build(p, width, seed):
    def dropout(k):
        return [Dropout(p, rng=seed + k)] if p else []
    return Sequential(Linear(2, width, init='he', rng=seed), ReLU(), *dropout(10),
                      Linear(width, width, init='he', rng=seed + 1), ReLU(), *dropout(11),
                      Linear(width, 1, rng=seed + 2))


def loss_on(model, X, y):
    """The loss with every neuron on (eval mode), building no graph."""
    model.eval()
    with no_grad():
        return binary_cross_entropy_with_logits([model(x)[0] for x in X], y).data


def train(p, training_points, steps, width, every, seed, noise=NOISE, learning_rate=LEARNING_RATE):
    """Steps at which we measured, and the training and validation losses there."""
    X, y = make_moons(training_points, noise=noise, seed=seed)
    X_val, y_val = make_moons(150, noise=noise, seed=seed + 100)
    model = build(p, width, seed)
    optimizer = Adam(model.parameters(), lr=learning_rate)
    measured, train_losses, val_losses = [], [], []
    for step in range(steps + 1):
        if step % every == 0:
            measured.append(step)
            train_losses.append(loss_on(model, X, y))
            val_losses.append(loss_on(model, X_val, y_val))
        if step == steps:
            break
        model.train()
        loss = binary_cross_entropy_with_logits([model(x)[0] for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return measured, train_losses, val_losses


plain = train(0.0, TRAINING_POINTS, STEPS, WIDTH, EVERY, SEED)
dropped = train(P, TRAINING_POINTS, STEPS, WIDTH, EVERY, SEED)
for name, (_, train_losses, val_losses) in [('without dropout', plain), (f'dropout p = {P}', dropped)]:
    print(f'{name:16}: after {STEPS} steps training loss {train_losses[-1]:.3f}, validation loss {val_losses[-1]:.3f} '
          f'(lowest {min(val_losses):.3f})')

# %% [markdown]
# ## The picture
#
# Training loss (dashed) and validation loss (solid) as training goes on, without dropout (left) and with it
# (right), on the same axes.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 5), layout='constrained', sharey=True)
for ax, (measured, train_losses, val_losses), title in [(axes[0], plain, 'Without dropout: overfits'),
                                                         (axes[1], dropped, f'Dropout p = {P}')]:
    ax.plot(measured, train_losses, '--', color='#7570b3', label=f'training loss ({TRAINING_POINTS} points)')
    ax.plot(measured, val_losses, '-', color='#d95f02', label='validation loss (150 new points)')
    ax.fill_between(measured, train_losses, val_losses, color='#d95f02', alpha=0.1, label='the gap')
    ax.set(xlabel='training step', title=title)
    ax.legend()
axes[0].set_ylabel('loss (binary cross-entropy)')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '11_dropout.png', dpi=100)

# %% [markdown]
# ## The check
#
# Dropout does two things here. The network with dropout reaches a lower validation loss than the plain one ever
# does, even at its best step (the step early stopping, lesson 13, would keep): it learns the moons, not the 20
# points. And it stays near that best while it trains on, where the plain network's validation loss climbs far
# above its best: the gap between validation and training loss stays small.

# %%
plain_gap = plain[2][-1] - plain[1][-1]
dropped_gap = dropped[2][-1] - dropped[1][-1]
print(f'CLAIM: on {TRAINING_POINTS} points the lowest validation loss is {min(dropped[2]):.3f} with dropout '
      f'(p = {P}) and {min(plain[2]):.3f} without; after {STEPS} steps it is {dropped[2][-1]:.3f} with dropout and '
      f'{plain[2][-1]:.3f} without; the gap between validation and training loss is {dropped_gap:.3f} with dropout '
      f'and {plain_gap:.3f} without')
assert min(dropped[2]) < 0.95 * min(plain[2])
assert dropped[2][-1] < 0.7 * plain[2][-1]
assert dropped_gap < 0.3 * plain_gap
