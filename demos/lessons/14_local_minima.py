# %% [markdown]
# # Lesson 14: local minima
#
# A network's loss is not a bowl: it has valleys of different depths. Gradient descent only ever goes downhill,
# so it ends at the bottom of whichever valley it starts in, the deepest (global minimum) or not (a local one).
#
# Mini-batches add noise. The loss is an average over samples, $\ell(x) = \frac1N \sum_i \ell_i(x)$, and a
# mini-batch's gradient is the average over a few samples only: right on average, off by a random amount at each
# step. The articles claim that this noise can shake the descent out of a shallow valley. We try it on a curve
# with two valleys,
#
# $$\ell(x) = x^4 - 3x^2 + x,$$
#
# built as the average of 32 per-sample losses $\ell_i(x) = x^4 - 3x^2 + a_i x$ whose slopes $a_i$ average to 1.
# Its global minimum is at $x \approx -1.30$ ($\ell = -3.51$), a local one at $x \approx 1.13$ ($\ell = -1.07$),
# with a hump at $x \approx 0.17$ between them.

# %%
import pathlib
import random

import matplotlib.pyplot as plt

from micrograd_plus import Value
from micrograd_plus.data import batches
from micrograd_plus.optim import SGD

# Numbers to change
SAMPLES = 32
NOISE = 10.0            # spread of the per-sample slopes a_i
BATCH = 1               # mini-batch size (SAMPLES: full batch, no noise)
LEARNING_RATE = 0.02    # held for the first two thirds of the steps, then lowered to 0
STEPS = 600
STARTS = 20             # starting points spread over [-2, 2]
RUNS = 3                # mini-batch runs from each start (each draws its batches differently)
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'
HUMP = 0.17             # left of it: the global minimum's valley


# %% [markdown]
# ## The samples and the descent
#
# The loop every lesson writes: `batches()` deals the samples out in a new shuffled order each epoch, each batch's
# loss is the mean of its samples' losses (a Value), `backward()` gives its slope and `SGD` takes the step. The
# learning rate is lowered to 0 over the last third of the steps, so every run comes to rest in some valley.

# %%
def sample_slopes(samples, noise, seed):
    """The a_i: random, shifted so that they average to exactly 1."""
    source = random.Random(seed)
    a = [source.gauss(0, noise) for _ in range(samples)]
    shift = sum(a) / samples
    return [1 + v - shift for v in a]


def sample_loss(x, a):
    """One sample's loss, x^4 - 3x^2 + a x."""
    return x ** 4 - 3 * x ** 2 + a * x


def descend(start, slopes, batch, learning_rate, steps, seed):
    """The path of mini-batch SGD from start (batch = len(slopes): full-batch gradient descent)."""
    order = random.Random(seed)  # one generator for all epochs: a new shuffle each epoch, the same every run
    x = Value(start, label='x')
    optimizer = SGD([x], lr=learning_rate)
    path = [start]
    while len(path) <= steps:
        for batch_slopes, _ in batches(slopes, slopes, batch, seed=order):
            if len(path) > steps:
                break
            loss = sum(sample_loss(x, a) for a in batch_slopes) / len(batch_slopes)   # the batch's mean loss
            optimizer.lr = learning_rate * min(1.0, 3 * (1 - (len(path) - 1) / steps))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            path.append(x.data)
    return path


def starts(count):
    return [-2 + 4 * k / (count - 1) for k in range(count)]


def share_global(paths):
    """The share of runs that ended in the global minimum's valley."""
    return sum(path[-1] < HUMP for path in paths) / len(paths)


def experiment(samples, noise, batch, learning_rate, steps, count, runs, seed):
    """Full-batch paths (one per start) and mini-batch paths (runs per start)."""
    slopes = sample_slopes(samples, noise, seed)
    full = [descend(x0, slopes, samples, learning_rate, steps, seed) for x0 in starts(count)]
    mini = [descend(x0, slopes, batch, learning_rate, steps, seed + 1000 * k + r)
            for k, x0 in enumerate(starts(count)) for r in range(runs)]
    return full, mini


full, mini = experiment(SAMPLES, NOISE, BATCH, LEARNING_RATE, STEPS, STARTS, RUNS, SEED)
print(f'full-batch gradient descent from {STARTS} starts: {share_global(full):.0%} end in the global minimum')
print(f'mini-batches of {BATCH} ({RUNS} runs from each start): {share_global(mini):.0%} end in the global minimum')

# %% [markdown]
# ## The picture
#
# Left, the curve, a few of the per-sample curves it averages, and where full-batch descent takes each start.
# Middle, mini-batch runs that start in the local minimum's valley: the noise lets some hop over the hump.
# Right, the share of runs that end in the global minimum.

# %%
def f(x):
    return x ** 4 - 3 * x ** 2 + x


fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 5), layout='constrained', width_ratios=[1.3, 1.3, 0.7])
grid = [-2.1 + 4.2 * k / 200 for k in range(201)]
for a in sample_slopes(SAMPLES, NOISE, SEED)[:6]:
    left.plot(grid, [x ** 4 - 3 * x ** 2 + a * x for x in grid], color='lightgrey', linewidth=0.8)
left.plot(grid, [f(x) for x in grid], color='black', linewidth=2, label=r'$\ell(x)$, the average')
for path in full:
    color = '#1b9e77' if path[-1] < HUMP else '#d95f02'
    left.plot(path[0], f(path[0]), 'o', color=color, markersize=5)
left.plot([], [], 'o', color='#1b9e77', label='start that ends in the global minimum')
left.plot([], [], 'o', color='#d95f02', label='start that ends in the local minimum')
left.plot([], [], color='lightgrey', label='some per-sample losses')
left.set(xlabel='x', ylabel='loss', ylim=(-8, 8), title='Full-batch descent: the start decides')
left.legend(fontsize=8, loc='upper center')
trapped = [path for path in mini if path[0] > HUMP][::4]
for path in trapped:
    middle.plot(path, color='#1b9e77' if path[-1] < HUMP else '#d95f02', linewidth=0.6)
middle.axhline(-1.30, color='black', linestyle=':', label='global minimum')
middle.axhline(1.13, color='black', linestyle='--', label='local minimum')
middle.set(xlabel='step', ylabel='x', title=f'Mini-batches of {BATCH} from the local valley')
middle.legend(fontsize=8, loc='lower left')
shares = [share_global(full), share_global(mini)]
right.bar(['full batch', f'batch {BATCH}'], shares, color=['#7570b3', '#1b9e77'])
for k, share in enumerate(shares):
    right.text(k, share + 0.02, f'{share:.0%}', ha='center')
right.set(ylim=(0, 1.1), ylabel='share ending in the global minimum', title='Where they end')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '14_local_minima.png', dpi=100)

# %% [markdown]
# ## The check
#
# Full-batch descent ends in the global minimum exactly from the starts left of the hump. With mini-batches of
# one sample, most runs end there, from either side. The noise is not free: away from a minimum it also pushes
# runs uphill, which is why the learning rate must come down at the end.

# %%
left_of_hump = sum(x0 < HUMP for x0 in starts(STARTS)) / STARTS
print(f'CLAIM: from {STARTS} starts, full-batch gradient descent ends in the global minimum {share_global(full):.0%} '
      f'of the time (the starts left of the hump: {left_of_hump:.0%}); mini-batches of {BATCH} end there '
      f'{share_global(mini):.0%} of the time')
assert share_global(full) == left_of_hump
assert share_global(mini) > share_global(full) + 0.2
