# %% [markdown]
# # Lesson 19: forward mode against reverse mode
#
# The chain rule can be applied in two orders. **Reverse mode** (backpropagation, `backward()`) starts at one
# output and walks the graph back to every input: one pass gives the gradient of that output with respect to all
# the inputs, a *row* of the Jacobian. **Forward mode** starts at the inputs with a direction $\dot x$ and carries,
# beside each node's number, how fast it moves, $\dot v = \sum_i \frac{\partial v}{\partial u_i}\,\dot u_i$ over its
# inputs $u_i$: one pass gives the derivative of every output in that direction, a *column*.
#
# Both multiply by the same local derivatives (here, the same rules of the derivative table: `jvp` asks each node
# for them as `backward()` does). What differs is how many passes a whole Jacobian takes: for
# $f: \mathbb{R}^n \to \mathbb{R}$ (a loss of $n$ weights) reverse mode needs 1 pass and forward mode $n$; for
# $g: \mathbb{R} \to \mathbb{R}^n$ (one knob, many outputs) it is the other way round. That is why training
# uses reverse mode: one loss, millions of weights.

# %%
import pathlib
import time

import matplotlib.pyplot as plt

from micrograd_plus import Value, central_difference, jacobian, jvp, topological_order
from micrograd_plus.functional import graph_order

# Numbers to change
SIZES = [1, 2, 4, 8, 16, 32, 64]   # n: inputs of f, outputs of g
DEPTH = 30                         # the shared trunk: 30 steps h + tanh(h/2)/10 every input (or output) goes through
REPEATS = 5                        # timings are the best of this many runs (the least disturbed)
SEED_POINT = 0.3

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Two functions with a shared trunk
#
# $f$ squares its $n$ inputs, averages them and runs the result through a trunk of 30 steps
# $h \leftarrow h + \tanh(h/2)/10$; $g$ runs its one
# input through the same trunk and then fans out into $n$ outputs $\sin(k h)$. In both, most of the graph is the
# trunk, which every pass of the "wrong" mode has to walk again.

# %%
def trunk(h, depth):
    for _ in range(depth):  # each step's slope is about 1: the derivatives neither vanish nor explode
        h = h + (h * 0.5).tanh() * 0.1
    return h


def make_f(depth):
    """f: R^n -> R."""
    def f(*xs):
        return trunk(sum(x * x for x in xs) / len(xs), depth)
    return f


def make_g(n, depth):
    """g: R -> R^n."""
    def g(t):
        h = trunk(t, depth)
        return [(h * k).sin() for k in range(1, n + 1)]
    return g


def point(n):
    return [SEED_POINT + 0.1 * k for k in range(n)]


# %% [markdown]
# ## Counting: passes and nodes
#
# `jacobian(f, x, mode='forward')` makes one forward pass per input, each over every node of the graph
# (`graph_order`); `mode='reverse'` one backward pass per output, each over the nodes that output depends on
# (`topological_order`). Counting the nodes each pass walks gives the cost in node visits.

# %%
def cost(function, inputs, mode):
    """(passes, nodes walked) for the whole Jacobian of function at inputs in this mode."""
    xs = [Value(x) for x in inputs]
    out = function(*xs)
    outputs = out if isinstance(out, list) else [out]
    if mode == 'forward':
        return len(xs), len(xs) * len(graph_order(outputs))
    return len(outputs), sum(len(topological_order(o)) for o in outputs)


def timed(function, inputs, mode, repeats):
    """The best time of the whole Jacobian, in ms (f evaluated once inside, as jacobian() does)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jacobian(function, inputs, mode=mode)
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def measure(sizes, depth, repeats):
    """For f and for g, each mode: passes, nodes walked and milliseconds at every n."""
    results = {}
    for name in ('f', 'g'):
        for mode in ('forward', 'reverse'):
            rows = []
            for n in sizes:
                function, inputs = (make_f(depth), point(n)) if name == 'f' else (make_g(n, depth), [SEED_POINT])
                passes, nodes = cost(function, inputs, mode)
                rows.append((passes, nodes, timed(function, inputs, mode, repeats)))
            results[name, mode] = rows
    return results


results = measure(SIZES, DEPTH, REPEATS)
for (name, mode), rows in results.items():
    shape = 'R^n -> R' if name == 'f' else 'R -> R^n'
    print(f'{name}: {shape}, {mode:7}: ' + '  '.join(f'n={n}: {p} passes, {v} nodes, {ms:.2f} ms'
                                                    for n, (p, v, ms) in zip(SIZES, rows) if n in (1, 8, 64)))


# %% [markdown]
# ## The same numbers either way
#
# Whatever the order, the Jacobian is the same (and equal to central differences): only the cost differs.

# %%
def largest_disagreement(n, depth):
    """The largest relative difference between forward and reverse mode, and between forward mode and central
    differences, over the Jacobians of f and g at size n."""
    f, g = make_f(depth), make_g(n, depth)
    forward = jacobian(f, point(n), mode='forward') + [row[0] for row in jacobian(g, [SEED_POINT], mode='forward')]
    reverse = jacobian(f, point(n), mode='reverse') + [row[0] for row in jacobian(g, [SEED_POINT], mode='reverse')]
    numeric = ([central_difference(f, *point(n), arg=i) for i in range(n)]
               + [central_difference(lambda t, k=k: g(t)[k], SEED_POINT) for k in range(n)])
    scale = max(abs(d) for d in forward)
    return (max(abs(a - b) for a, b in zip(forward, reverse)) / scale,
            max(abs(a - b) for a, b in zip(forward, numeric)) / scale)


modes_apart, numeric_apart = largest_disagreement(8, DEPTH)
print(f'n = 8: forward and reverse Jacobians differ by at most {modes_apart:.1e} of the largest entry, forward and '
      f'central differences by {numeric_apart:.1e}')


# %% [markdown]
# ## One forward pass against the function itself
#
# A forward pass asks every node for its local derivatives and adds them up: a constant amount of work per node,
# like the function's own evaluation. `jvp` (f's value and one directional derivative) therefore costs a small
# constant times f; the Jacobian of $f$ costs $n$ of them.

# %%
def jvp_over_f(n, depth, repeats):
    """time(jvp(f, x, direction)) / time(f(x)) at size n (the best of ``repeats`` runs each)."""
    f, x = make_f(depth), point(n)
    direction = [1.0] + [0.0] * (n - 1)

    def best(run):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)
    return best(lambda: jvp(f, x, direction)) / best(lambda: f(*(Value(v) for v in x)))


ratio = jvp_over_f(64, DEPTH, 3 * REPEATS)
print(f'one forward pass of f (n = 64) with its value: {ratio:.1f} times the time of f alone')


# %% [markdown]
# ## The picture
#
# Left, $f: \mathbb{R}^n \to \mathbb{R}$: the nodes walked for the whole Jacobian and the time it takes, against
# $n$; forward mode grows with $n$, reverse stays nearly flat. Right, $g: \mathbb{R} \to \mathbb{R}^n$: the mirror
# image. The counts are exact; the clock is the best of a few runs, and on a busy machine it jumps where a run
# outlasts the time slice the system gives it.

# %%
colors = {'forward': '#d95f02', 'reverse': '#1b9e77'}
fig, axes = plt.subplots(1, 4, figsize=(15, 5), layout='constrained')
for k, name in enumerate(('f', 'g')):
    count, clock = axes[2 * k], axes[2 * k + 1]
    shape = r'$f: \mathbb{R}^n \to \mathbb{R}$' if name == 'f' else r'$g: \mathbb{R} \to \mathbb{R}^n$'
    for mode in ('forward', 'reverse'):
        rows = results[name, mode]
        passes = 'n passes' if rows[-1][0] == SIZES[-1] else '1 pass'
        count.loglog(SIZES, [nodes for _, nodes, _ in rows], 'o-', color=colors[mode], label=f'{mode}: {passes}')
        clock.loglog(SIZES, [ms for _, _, ms in rows], 'o-', color=colors[mode], label=f'{mode}: {passes}')
    count.set(xlabel='n', ylabel='nodes walked for the whole Jacobian', title=f'{shape}: nodes walked')
    clock.set(xlabel='n', ylabel='time for the whole Jacobian (ms)', title=f'{shape}: time')
    for ax in (count, clock):
        ax.set_xscale('log', base=2)
        ax.legend(fontsize=9, loc='upper left')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '19_forward_vs_reverse.png', dpi=100)

# %% [markdown]
# ## The check

# %%
n = SIZES[-1]
(f_forward, f_reverse), (g_forward, g_reverse) = ((results[name, 'forward'][-1], results[name, 'reverse'][-1])
                                                  for name in ('f', 'g'))
print(f'CLAIM: at n = {n}, the gradient of f: R^n -> R takes {f_forward[0]} forward passes ({f_forward[1]} nodes, '
      f'{f_forward[2]:.1f} ms) or {f_reverse[0]} reverse pass ({f_reverse[1]} nodes, {f_reverse[2]:.1f} ms); the '
      f'derivative of g: R -> R^n takes {g_forward[0]} forward pass ({g_forward[1]} nodes, {g_forward[2]:.1f} ms) '
      f'or {g_reverse[0]} reverse passes ({g_reverse[1]} nodes, {g_reverse[2]:.1f} ms); both modes agree to '
      f'{modes_apart:.0e}; one forward pass costs {ratio:.1f}x the function')
assert (f_forward[0], f_reverse[0], g_forward[0], g_reverse[0]) == (n, 1, 1, n)
assert f_forward[1] > 30 * f_reverse[1] and g_reverse[1] > 10 * g_forward[1]
assert modes_apart < 1e-13 and numeric_apart < 1e-6
assert f_forward[2] > 3 * f_reverse[2] and g_reverse[2] > 3 * g_forward[2]  # the counts show in the clock
