# %% [markdown]
# # Lesson 6: Adam against SGD and momentum
#
# Plain gradient descent moves every weight by $\epsilon$ times its gradient, so a weight with a tiny gradient
# barely moves. Adam (Kingma and Ba) keeps, for each weight, a running average of its gradient $m$ (momentum)
# and of its squared gradient $v$, and moves it by $\epsilon\, m / \sqrt{v}$: the step is divided by the
# gradient's own typical size. A weight on a nearly flat slope then takes steps as big as one on a cliff.
#
# The surface is a bowl much more lopsided than lesson 4's, $\ell = 0.01\,w_1^2 + 10\,w_2^2$: a thousand
# times steeper along $w_2$. The same surface for all three optimizers, each tried at a range of learning rates.

# %%
import math
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import Value
from micrograd_plus.optim import SGD, Adam

# Numbers to change
LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
MOMENTUM = 0.9
START = (-4.0, 1.5)
TOLERANCE = 1e-4
MAX_STEPS = 1000
ANGLE = 0.0      # degrees: turn the bowl so its valley runs diagonally (try 45: Adam's edge is gone)

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The surface and the three optimizers
#
# The optimizers are the library's: `SGD`, `SGD` with `momentum`, and `Adam`, each given the two weights.

# %%
def bowl(w1, w2, angle=ANGLE):
    turn = math.radians(angle)
    u = math.cos(turn) * w1 + math.sin(turn) * w2
    v = -math.sin(turn) * w1 + math.cos(turn) * w2
    return 0.01 * u ** 2 + 10 * v ** 2


OPTIMIZERS = {
    'SGD': lambda w, lr: SGD(w, lr=lr),
    'momentum': lambda w, lr: SGD(w, lr=lr, momentum=MOMENTUM),
    'Adam': lambda w, lr: Adam(w, lr=lr),
}


def descend(name, learning_rate, start, tolerance, max_steps, angle=ANGLE):
    """The path of one optimizer until the loss is below tolerance, it diverges, or max_steps."""
    w = [Value(start[0]), Value(start[1])]
    optimizer = OPTIMIZERS[name](w, learning_rate)
    path = [start]
    for _ in range(max_steps):
        loss = bowl(*w, angle=angle)
        if loss.data < tolerance or not loss.data < 1e6:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append((w[0].data, w[1].data))
    return path


def steps_to_tolerance(path, tolerance, angle=ANGLE):
    """How many steps the path took to get below tolerance; None if it never did."""
    return len(path) - 1 if bowl(*path[-1], angle=angle) < tolerance else None


def sweep(learning_rates, start, tolerance, max_steps, angle=ANGLE):
    """{optimizer: {learning rate: its path}}."""
    return {name: {lr: descend(name, lr, start, tolerance, max_steps, angle) for lr in learning_rates}
            for name in OPTIMIZERS}


def best(paths, tolerance, angle=ANGLE):
    """The learning rate of the fastest path that got below tolerance; of those that did not, the one that
    ended lowest."""
    def how_good(lr):
        steps = steps_to_tolerance(paths[lr], tolerance, angle)
        return (0, steps) if steps is not None else (1, bowl(*paths[lr][-1], angle=angle))
    return min(paths, key=how_good)


# %% [markdown]
# ## Every optimizer at every learning rate

# %%
paths = sweep(LEARNING_RATES, START, TOLERANCE, MAX_STEPS)
steps = {name: {lr: steps_to_tolerance(path, TOLERANCE) for lr, path in runs.items()} for name, runs in paths.items()}
for name, row in steps.items():
    text = '  '.join(f'{lr:g}: {"-" if n is None else n}' for lr, n in row.items())
    print(f'{name:9} steps to a loss below {TOLERANCE:g} (- = not within {MAX_STEPS}): {text}')
winners = {name: best(runs, TOLERANCE) for name, runs in paths.items()}

# %% [markdown]
# ## The picture
#
# Left, each optimizer's path at its best learning rate (for one that never gets there: where it ended lowest).
# Right, the steps each needs at each learning rate; a missing point never got there.

# %%
colors = {'SGD': '#d95f02', 'momentum': '#7570b3', 'Adam': '#1b9e77'}
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained')
w1s = [-4.5 + 6 * k / 150 for k in range(151)]
w2s = [-2 + 4 * k / 150 for k in range(151)]
left.contour(w1s, w2s, [[bowl(a, b) for a in w1s] for b in w2s], levels=[0.01, 0.05, 0.2, 1, 4, 16, 32],
             colors='lightgrey')
for name, runs in paths.items():
    lr, n = winners[name], steps[name][winners[name]]
    path = runs[lr]
    left.plot([p[0] for p in path], [p[1] for p in path], '.-', color=colors[name], markersize=3, linewidth=1,
              label=f'{name}, ε = {lr:g}: {"not there in " + str(MAX_STEPS) if n is None else n} steps')
    reached = [(lr, n) for lr, n in steps[name].items() if n is not None]
    right.plot([r[0] for r in reached], [r[1] for r in reached], 'o-', color=colors[name],
               label=name if reached else f'{name}: never, at any ε')
left.plot(0, 0, 'k*', markersize=12)
left.set(xlabel='$w_1$', ylabel='$w_2$', ylim=(-2, 2),
         title=r'$\ell = 0.01\,w_1^2 + 10\,w_2^2$, each at its best $\epsilon$')
left.legend(loc='lower right')
right.set_xscale('log')
right.set_yscale('log')
right.set_xlim(min(LEARNING_RATES) / 1.5, max(LEARNING_RATES) * 1.5)
right.axhline(MAX_STEPS, color='grey', linestyle=':', label=f'{MAX_STEPS} steps (the limit)')
right.set(xlabel='learning rate ε (log scale)', ylabel=f'steps to a loss below {TOLERANCE:g} (log scale)',
          title='Steps to get there, at each learning rate')
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '06_adam.png', dpi=100)

# %% [markdown]
# ## The check
#
# Adam's edge here comes from the bowl's axes lining up with the weights: one weight is the flat direction.
# Try `ANGLE = 45` at the top. The valley then runs diagonally, no single weight is the flat direction, and
# dividing each weight's step by its own gradient no longer helps: on that bowl Adam does not get there within
# the limit at any of these learning rates, and momentum wins. No optimizer is best on every surface.

# %%
fastest = {name: steps[name][winners[name]] for name in OPTIMIZERS}
reached = {name: sum(n is not None for n in row.values()) for name, row in steps.items()}
def took(n):
    return f'in {n} steps' if n is not None else f'not within {MAX_STEPS} steps'


turned = f' (turned {ANGLE:g} degrees)' if ANGLE else ''
print(f'CLAIM: on the bowl a thousand times steeper one way{turned}, Adam gets below {TOLERANCE:g} '
      f'{took(fastest["Adam"])} at its best ε, momentum {took(fastest["momentum"])}, SGD {took(fastest["SGD"])}; '
      f'Adam gets there at {reached["Adam"]} of the {len(LEARNING_RATES)} learning rates, momentum at '
      f'{reached["momentum"]}, SGD at {reached["SGD"]}')
if ANGLE == 0:  # the claim is about the bowl whose axes are the weights; turned, see the note above
    assert fastest['Adam'] < fastest['momentum'] / 2
    assert fastest['SGD'] is None or fastest['momentum'] < fastest['SGD']
    assert reached['Adam'] > reached['momentum'] > reached['SGD']
