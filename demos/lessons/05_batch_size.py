# %% [markdown]
# # Lesson 5: stochastic, mini-batch and full-batch gradient descent
#
# The loss of a network is an average over the training samples, and so is its gradient. Gradient descent
# can take that average over
#
# - all $N$ samples before each step (full batch: one update per epoch, the true gradient),
# - a mini-batch of $B$ samples (a good estimate of it: $N/B$ updates per epoch),
# - a single sample (stochastic gradient descent, SGD: $N$ updates per epoch, each a noisy estimate).
#
# An epoch costs the same for all three: every sample's gradient is computed once. What differs is how many
# steps that work buys, and how noisy they are. We train the same small network the three ways, with the same
# learning rate, and after every update measure the loss on the whole training set.

# %%
import itertools
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import batches, make_moons
from micrograd_plus.losses import binary_cross_entropy_with_logits
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD

# Numbers to change
SAMPLES = 64
BATCH_SIZES = [1, 8, 64]     # SGD, mini-batch, full batch (= SAMPLES)
LEARNING_RATE = 0.1
EPOCHS = 10
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## One training run
#
# `batches()` deals the samples out in a new shuffled order every epoch. After each update we record the loss
# over all samples (under `no_grad()`: measuring needs no graph).

# %%
def full_loss(model, X, y):
    with no_grad():
        return binary_cross_entropy_with_logits([model(x) for x in X], y).data


def train(batch_size, samples, epochs, learning_rate, seed):
    """Loss on the whole training set before training and after every update, and the updates per epoch."""
    X, y = make_moons(samples, noise=0.1, seed=seed)
    model = MLP(2, [8, 1], activation='tanh', rng=seed)   # the same starting weights for every batch size
    optimizer = SGD(model.parameters(), lr=learning_rate)
    losses = [full_loss(model, X, y)]
    for epoch in range(epochs):
        for xb, yb in batches(X, y, batch_size, seed=epoch):
            loss = binary_cross_entropy_with_logits([model(x) for x in xb], yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(full_loss(model, X, y))
    return losses, -(-samples // batch_size)


def uphill_fraction(losses):
    """The share of updates after which the loss over all samples was higher than before."""
    return sum(after > before for before, after in itertools.pairwise(losses)) / (len(losses) - 1)


# %% [markdown]
# ## Three runs

# %%
runs = {b: train(b, SAMPLES, EPOCHS, LEARNING_RATE, SEED) for b in BATCH_SIZES}
for b, (losses, per_epoch) in runs.items():
    print(f'batch size {b:3}: {per_epoch:3} update(s) per epoch, loss {losses[0]:.3f} -> {losses[-1]:.3f} after '
          f'{EPOCHS} epochs; {uphill_fraction(losses):.0%} of the updates raised the loss over all samples')

# %% [markdown]
# ## The picture
#
# Left, the loss against the number of updates (log scale): a step of each kind helps about as much as any
# other, but SGD's path is jagged. Right, the same runs against epochs, that is against work done: per epoch
# SGD and mini-batches take many more steps, so they get further.

# %%
colors = {BATCH_SIZES[0]: '#d95f02', BATCH_SIZES[1]: '#1b9e77', BATCH_SIZES[2]: '#7570b3'}
names = {BATCH_SIZES[0]: 'SGD', BATCH_SIZES[1]: 'mini-batch', BATCH_SIZES[2]: 'full batch'}
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained')
for b, (losses, per_epoch) in runs.items():
    label = f'{names.get(b, "")} (batch {b}, {per_epoch} update{"s" * (per_epoch > 1)}/epoch)'
    left.plot(range(1, len(losses)), losses[1:], color=colors.get(b), linewidth=1, label=label)
    right.plot(range(EPOCHS + 1), losses[::per_epoch], 'o-', color=colors.get(b), label=label)
left.set_xscale('log')
left.set(xlabel='update (log scale)', ylabel='loss over all samples', title='Per update: SGD is noisy')
right.set(xlabel='epoch (every sample used once)', ylabel='loss over all samples',
          title='Per epoch: more updates get further')
left.legend()
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '05_batch_size.png', dpi=100)

# %% [markdown]
# ## The check

# %%
(sgd, _), (mini, _), (full, _) = (runs[b] for b in BATCH_SIZES)
print(f'CLAIM: after {EPOCHS} epochs the loss is {sgd[-1]:.3f} with SGD, {mini[-1]:.3f} with mini-batches of '
      f'{BATCH_SIZES[1]} and {full[-1]:.3f} with the full batch; {uphill_fraction(sgd):.0%} of SGD\'s updates raise '
      f'the loss, {uphill_fraction(mini):.0%} of the mini-batch ones, {uphill_fraction(full):.0%} of full-batch ones')
assert sgd[-1] < mini[-1] < full[-1]
assert uphill_fraction(sgd) > uphill_fraction(mini) > uphill_fraction(full) == 0
