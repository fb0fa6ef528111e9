# %% [markdown]
# # Lesson 10: L1 and L2 regularisation
#
# Regularisation adds a price for large weights to the loss, so the network fits the data with small ones:
#
# - L2 (ridge): $\ell + \lambda \sum w^2$. Its gradient $2\lambda w$ shrinks each weight in proportion to its
#   size: big weights shrink fast, small ones ever more slowly, and none reaches zero.
# - L1 (lasso): $\ell + \lambda \sum |w|$. Its gradient $\lambda\,\mathrm{sign}(w)$ has the same size however
#   small $w$ is, so it keeps pushing a weight the data does not need until it sits at zero (in practice,
#   within a step of it: each step moves it across 0 and back). L1 makes networks sparse.
#
# The same network learns the moons three times: with no penalty, with L1 and with L2 on its weights (not on
# its biases, as usual), with the same $\lambda$.

# %%
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.losses import hinge, l1_penalty, l2_penalty
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD
from micrograd_plus.plots import decision_boundary

# Numbers to change
LAMBDA = 0.01           # the price of size, the same for L1 and L2
STEPS = 150
WIDTH = 12              # neurons in each of the 2 hidden layers
SMALL = 0.01            # a weight this close to 0 counts as zero
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Training with a penalty
#
# `l1_penalty(weights, alpha)` is $\alpha \sum |w|$ and `l2_penalty(weights, alpha)` is $\alpha \sum w^2$: each
# a Value, added to the data's loss before `backward()`.

# %%
PENALTIES = {
    'no penalty': lambda weights, strength: 0.0,
    'L1': l1_penalty,
    'L2': l2_penalty,
}


def train(penalty, strength, steps, width, seed):
    """A 2-w-w-1 ReLU network trained on noisy moons with the max-margin loss plus the penalty on its weights."""
    X, labels = make_moons(60, noise=0.2, seed=seed)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [width, width, 1], rng=seed)
    weights = [p for name, p in model.named_parameters() if '.w.' in name]
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        loss = hinge([model(x) for x in X], y) + PENALTIES[penalty](weights, strength)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        accuracy = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y)) / len(y)
    return model, [w.data for w in weights], accuracy, (X, labels)


def share_small(weights, small):
    return sum(abs(w) < small for w in weights) / len(weights)


runs = {name: train(name, LAMBDA, STEPS, WIDTH, SEED) for name in PENALTIES}
for name, (_, weights, accuracy, _) in runs.items():
    print(f'{name:10}: {share_small(weights, SMALL):4.0%} of the {len(weights)} weights within {SMALL} of 0, '
          f'sum |w| = {sum(abs(w) for w in weights):5.1f}, largest |w| = {max(abs(w) for w in weights):.2f}, '
          f'training accuracy {accuracy:.0%}')

# %% [markdown]
# ## The picture
#
# Top, each network's weights as a histogram: L1 piles them up at zero, L2 pulls them all in but leaves them
# spread. Bottom, what each network decides over the plane (the training points on top).

# %%
fig, axes = plt.subplots(2, 3, figsize=(12, 7), layout='constrained', height_ratios=[1, 1.3])
bins = [-2 + k / 20 for k in range(81)]
for column, (name, (model, weights, accuracy, (X, labels))) in enumerate(runs.items()):
    top, bottom = axes[0, column], axes[1, column]
    top.hist(weights, bins=bins, color='#7570b3')
    top.set(xlabel=f'weight (at 0: |w| < {SMALL})', ylabel='count', ylim=(0, 100),
            title=f'{name}: {share_small(weights, SMALL):.0%} of weights at 0')
    decision_boundary(model, X, labels, ax=bottom, resolution=60,  # a score > 0 is class 1
                      title=f'{name}: boundary, training accuracy {accuracy:.0%}')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '10_l1_l2.png', dpi=100)

# %% [markdown]
# ## The check

# %%
small = {name: share_small(weights, SMALL) for name, (_, weights, _, _) in runs.items()}
print(f'CLAIM: with the same lambda = {LAMBDA}, L1 leaves {small["L1"]:.0%} of the weights within {SMALL} of zero, '
      f'L2 {small["L2"]:.0%} and no penalty {small["no penalty"]:.0%}; every network still classifies at least '
      f'{min(run[2] for run in runs.values()):.0%} of the training points')
assert small['L1'] > 0.4 and small['L1'] > 5 * max(small['L2'], small['no penalty'])
assert min(run[2] for run in runs.values()) >= 0.9
