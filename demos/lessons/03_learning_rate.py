# %% [markdown]
# # Lesson 3: gradient descent and the learning rate
#
# Gradient descent walks downhill: it takes the derivative and steps the other way,
# $x \leftarrow x - \epsilon\, f'(x)$, where $\epsilon$ is the learning rate. On the articles' example
# $f(x) = x^2$ we have $f'(x) = 2x$, so one step is
#
# $$x \leftarrow x - 2\epsilon x = (1 - 2\epsilon)\,x.$$
#
# Every step multiplies $x$ by the same factor $1 - 2\epsilon$. That one number tells the whole story:
# a small $\epsilon$ gives a factor just below 1 (a crawl); between $\frac12$ and 1 the factor is negative, so
# each step jumps across the minimum (an overshoot); above 1 its size is more than 1, so every step lands
# further away than the last (divergence).

# %%
import itertools
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import Value

# Numbers to change
START = 3.0
STEPS = 20
LEARNING_RATES = [0.01, 0.1, 0.95, 1.1]  # too small, fine, too large (overshoots), much too large (diverges)

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Descent, with the derivative from backward()
#
# Each step builds $f(x)$, asks `backward()` for $f'(x)$, and moves $x$ against it. (We could write $2x$
# ourselves; `backward()` gets it for any $f$.)

# %%
def f(x):
    return x ** 2


def descend(start, learning_rate, steps):
    """The path of gradient descent on f: [x0, x1, ..., x_steps]."""
    x = Value(start)
    path = [x.data]
    for _ in range(steps):
        loss = f(x)
        x.grad = 0.0
        loss.backward()
        x.data -= learning_rate * x.grad
        path.append(x.data)
    return path


def sign_flips(path):
    """How many steps jumped across the minimum at 0."""
    return sum(a * b < 0 for a, b in itertools.pairwise(path))


# %% [markdown]
# ## Four learning rates

# %%
paths = {lr: descend(START, lr, STEPS) for lr in LEARNING_RATES}
for lr, path in paths.items():
    print(f'learning rate {lr:5}: factor 1 - 2*lr = {1 - 2 * lr:5.2f}, after {STEPS} steps x = {path[-1]:10.4f} '
          f'(|x| {abs(path[-1]) / START:.3g} times the start), jumped across the minimum {sign_flips(path)} times')

# %% [markdown]
# ## The picture
#
# Left, the first steps on the curve $f(x) = x^2$ (each learning rate in its own colour); right, the distance
# from the minimum, $|x|$, at every step on a log scale, where a constant factor per step is a straight line.

# %%
colors = ['#1b9e77', '#7570b3', '#d95f02', '#e7298a']
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained')
grid = [-6 + 12 * k / 200 for k in range(201)]
left.plot(grid, [f(x) for x in grid], color='lightgrey', linewidth=3, label='f(x) = x²')
for color, (lr, path) in zip(colors, paths.items()):
    shown = [x for x in path[:7] if abs(x) <= 6]
    left.plot(shown, [f(x) for x in shown], 'o-', color=color, markersize=4, label=f'ε = {lr}')
    right.semilogy(range(len(path)), [abs(x) for x in path], 'o-', color=color, markersize=3, label=f'ε = {lr}')
left.set(xlabel='x', ylabel='f(x)', title=f'The first 6 steps from x = {START}', ylim=(-1, 37))
left.legend()
right.axhline(START, color='grey', linestyle=':', linewidth=1)
right.xaxis.get_major_locator().set_params(integer=True)
right.set(xlabel='step', ylabel='|x|  (distance from the minimum, log scale)',
          title='Too small crawls, too large overshoots or diverges')
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '03_learning_rate.png', dpi=100)

# %% [markdown]
# ## The check
#
# The smallest learning rate has barely moved and the largest has left. The overshooting one crosses the minimum
# at every step and, although it converges, ends farther from it than a learning rate ten times smaller.
# Every path is $x_t = (1 - 2\epsilon)^t x_0$ exactly.

# %%
crawl, fine, overshoot, diverge = (paths[lr] for lr in LEARNING_RATES)
print(f'CLAIM: after {STEPS} steps from x = {START}: ε = {LEARNING_RATES[0]} crawls to {crawl[-1]:.3f}, '
      f'ε = {LEARNING_RATES[1]} reaches {fine[-1]:.4f}, ε = {LEARNING_RATES[2]} overshoots at every step '
      f'({sign_flips(overshoot)} crossings) and ends at {overshoot[-1]:.4f}, ε = {LEARNING_RATES[3]} diverges to '
      f'{diverge[-1]:.1f}')
assert abs(crawl[-1]) > 0.5 * START and abs(fine[-1]) < 0.05 * START
assert sign_flips(overshoot) == STEPS and abs(fine[-1]) < abs(overshoot[-1]) < START
assert abs(diverge[-1]) > 10 * START
assert all(abs(x - (1 - 2 * lr) ** t * START) < 1e-9 * START for lr in LEARNING_RATES
           for t, x in enumerate(paths[lr]))
