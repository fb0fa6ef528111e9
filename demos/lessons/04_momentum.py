# %% [markdown]
# # Lesson 4: momentum
#
# Plain gradient descent moves each weight by $\Delta w = -\epsilon\,\partial\ell/\partial w$. The articles'
# momentum rule adds a share $\alpha$ of the previous move:
#
# $$\Delta w(t) = -\epsilon\,\frac{\partial\ell}{\partial w(t)} + \alpha\,\Delta w(t-1)$$
#
# Where the surface is an ill-conditioned bowl (much steeper one way than the other), plain descent must keep
# $\epsilon$ small enough for the steep direction, where it zig-zags across the valley, and then crawls along
# the flat direction. With momentum the zig-zags cancel out from one step to the next while the steady push
# along the valley floor adds up.
#
# The bowl here is $\ell(w_1, w_2) = \frac12 w_1^2 + 10\,w_2^2$: 20 times steeper along $w_2$ than along $w_1$.
# Plain descent diverges for $\epsilon > 2/20 = 0.1$.

# %%
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import Value
from micrograd_plus.optim import SGD

# Numbers to change
LEARNING_RATE = 0.09     # epsilon, the same for both
ALPHA = 0.5              # momentum's attenuation factor alpha; 0 is plain gradient descent
START = (-4.0, 1.5)
TOLERANCE = 1e-6         # "there": the loss is below this
MAX_STEPS = 1000

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The rule, written out
#
# The weights are two Values; `backward()` gives $\partial\ell/\partial w$; the move $\Delta w$ is remembered
# from one step to the next. With $\alpha = 0$ this is plain gradient descent.

# %%
def bowl(w1, w2):
    return 0.5 * w1 ** 2 + 10 * w2 ** 2


def descend(learning_rate, alpha, start, tolerance, max_steps):
    """The path [(w1, w2), ...] of the momentum rule until the loss is below tolerance (or max_steps)."""
    w = [Value(start[0]), Value(start[1])]
    move = [0.0, 0.0]  # delta w(t - 1)
    path = [start]
    for _ in range(max_steps):
        loss = bowl(*w)
        if loss.data < tolerance:
            break
        for p in w:
            p.grad = 0.0
        loss.backward()
        move = [-learning_rate * p.grad + alpha * m for p, m in zip(w, move)]
        for p, m in zip(w, move):
            p.data += m
        path.append((w[0].data, w[1].data))
    return path


def descend_with_sgd(learning_rate, alpha, start, steps):
    """The same walk with the library's optimizer: SGD(momentum=alpha) keeps v = alpha v + grad and steps
    w -= lr v, which is the rule above with delta w = -lr v."""
    w = [Value(start[0]), Value(start[1])]
    optimizer = SGD(w, lr=learning_rate, momentum=alpha)
    path = [start]
    for _ in range(steps):
        loss = bowl(*w)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append((w[0].data, w[1].data))
    return path


def steps_taken(path):
    return len(path) - 1


# %% [markdown]
# ## Plain descent against momentum, same learning rate
#
# $\epsilon = 0.09$ is close to the best plain descent can do on this bowl ($2/(1 + 20) \approx 0.095$, which
# shrinks the flat and the steep direction by the same factor at every step); we check that too.

# %%
plain = descend(LEARNING_RATE, 0.0, START, TOLERANCE, MAX_STEPS)
heavy = descend(LEARNING_RATE, ALPHA, START, TOLERANCE, MAX_STEPS)
best_plain = descend(2 / 21, 0.0, START, TOLERANCE, MAX_STEPS)
print(f'plain gradient descent, ε = {LEARNING_RATE}: {steps_taken(plain)} steps to a loss below {TOLERANCE:g}')
print(f'momentum, ε = {LEARNING_RATE}, alpha = {ALPHA}: {steps_taken(heavy)} steps')
print(f'plain gradient descent at its best ε = 2/21 (for comparison): {steps_taken(best_plain)} steps')
library = descend_with_sgd(LEARNING_RATE, ALPHA, START, steps_taken(heavy))
gap = max(abs(a - b) for p, q in zip(heavy, library) for a, b in zip(p, q))
print(f'SGD(lr={LEARNING_RATE}, momentum={ALPHA}) takes the same steps (largest difference {gap:.1e})')

# %% [markdown]
# ## The picture
#
# Left, both paths on the contour lines of the bowl; right, the loss at every step (log scale).

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained', width_ratios=[1.4, 1])
w1s = [-4.5 + 6 * k / 120 for k in range(121)]
w2s = [-1.6 + 3.4 * k / 120 for k in range(121)]
left.contour(w1s, w2s, [[bowl(a, b) for a in w1s] for b in w2s], levels=[0.1, 0.5, 1, 2, 4, 8, 16, 32],
             colors='lightgrey')
for path, color, name in [(plain, '#d95f02', f'plain, ε = {LEARNING_RATE}: {steps_taken(plain)} steps'),
                          (heavy, '#1b9e77', f'momentum, $\\alpha$ = {ALPHA}: {steps_taken(heavy)} steps')]:
    left.plot([p[0] for p in path], [p[1] for p in path], 'o-', color=color, markersize=2.5, linewidth=1,
              label=name)
left.plot(*START, 'ks', label='start')
left.plot(0, 0, 'k*', markersize=12, label='minimum')
left.set(xlabel='$w_1$', ylabel='$w_2$', title=r'$\ell = \frac{1}{2} w_1^2 + 10\,w_2^2$: both paths')
left.legend(loc='lower right')
for path, color, name in [(plain, '#d95f02', f'plain, ε = {LEARNING_RATE}'),
                          (heavy, '#1b9e77', f'momentum, ε = {LEARNING_RATE}, $\\alpha$ = {ALPHA}')]:
    right.semilogy([bowl(*p) for p in path], color=color, label=f'{name}: {steps_taken(path)} steps')
right.axhline(TOLERANCE, color='grey', linestyle=':', label=f'tolerance {TOLERANCE:g}')
right.set(xlabel='step', ylabel='loss (log scale)', title='Momentum gets there in fewer steps')
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '04_momentum.png', dpi=100)

# %% [markdown]
# ## The check

# %%
print(f'CLAIM: on the bowl 20 times steeper one way, momentum (alpha = {ALPHA}) needs {steps_taken(heavy)} steps '
      f'where plain gradient descent with the same ε = {LEARNING_RATE} needs {steps_taken(plain)} '
      f'({steps_taken(best_plain)} at its best ε, 2/21)')
assert steps_taken(heavy) < steps_taken(plain) / 2 and steps_taken(heavy) < steps_taken(best_plain)
assert gap < 1e-12
