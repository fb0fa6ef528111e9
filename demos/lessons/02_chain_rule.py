# %% [markdown]
# # Lesson 2: the chain rule, layer by layer
#
# `loss.backward()` fills in $\partial\ell/\partial w$ for every weight. Here we compute the same numbers
# with the articles' four formulas, starting at the loss and walking back one layer at a time, and check that
# they are the numbers `backward()` gives. For layer $i$, with $y^i_j = f(z^i_j)$ and
# $z^i_j = b^i_j + \vec w^i_j \cdot \vec y^{\,i-1}$:
#
# 1. $\partial\ell/\partial z^i_j = \partial\ell/\partial y^i_j \cdot f'(z^i_j)$
# 2. $\partial\ell/\partial w^i_{jk} = \partial\ell/\partial z^i_j \cdot y^{i-1}_k$
# 3. $\partial\ell/\partial b^i_j = \sum_{n=1}^{N} \partial\ell/\partial z^i_j$, summed over the $N$ samples
#    (and so is formula 2: a weight is shared by every sample)
# 4. $\partial\ell/\partial y^{i-1}_k = \sum_j \partial\ell/\partial z^i_j \cdot w^i_{jk}$, summed over the
#    connections from $y^{i-1}_k$ into layer $i$; then the same again for layer $i-1$.
#
# The loss is the squared error summed over a batch of samples, $\ell = \sum_n (y^{pred}_n - y^{true}_n)^2$,
# so the walk starts from $\partial\ell/\partial y^{pred}_n = 2\,(y^{pred}_n - y^{true}_n)$.

# %%
import math
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import Value, explain, topological_order
from micrograd_plus.nn import MLP
from micrograd_plus.viz import draw_network

# Numbers to change
SEED = 1                                          # the 2-3-1 network of lesson 1
XS = [[0.5, -1.0], [-1.5, 0.3], [1.0, 2.0]]       # a batch of N = 3 inputs
YS = [1.0, -0.5, 0.25]                            # and what the network should say for each
EXPLAINED = 'layers.0.neurons.1.w.0'              # the weight explain() takes apart: w^1_21

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Forward, keeping every z and y
#
# The backward walk needs the numbers of the forward pass: each layer's input $\vec y^{\,i-1}$ and its $z$'s.

# %%
def build_network(seed):
    """Lesson 1's 2-3-1 network: 3 tanh neurons, then one linear neuron."""
    return MLP(2, [3, 1], activation='tanh', rng=seed)


def forward(model, x):
    """Per layer: (its input y^(i-1), its zs, its ys), in plain floats."""
    trace = []
    y_previous = list(x)
    for layer in model.layers:
        zs = [n.b.data + sum(w.data * y for w, y in zip(n.w, y_previous)) for n in layer.neurons]
        ys = [math.tanh(z) if n.activation == 'tanh' else z for n, z in zip(layer.neurons, zs)]
        trace.append((y_previous, zs, ys))
        y_previous = ys
    return trace


def f_prime(neuron, z):
    """f'(z): 1 - tanh(z)^2 for tanh, 1 for a linear neuron."""
    return 1 - math.tanh(z) ** 2 if neuron.activation == 'tanh' else 1.0


# %% [markdown]
# ## Backward, by the formulas
#
# One sample at a time, from the loss back to the input. Each sample adds its share to every weight's and
# bias's gradient (formulas 2 and 3 summed over samples); $\partial\ell/\partial y$ and $\partial\ell/\partial z$
# belong to one sample and are not summed.

# %%
def backward_by_formulas(model, xs, ys):
    """dl/dw and dl/db for every parameter (by its dotted name), and dl/dx for every sample."""
    grads = {name: 0.0 for name, _ in model.named_parameters()}
    input_grads = []
    for x, y_true in zip(xs, ys):
        trace = forward(model, x)
        y_pred = trace[-1][2][0]
        dl_dy = [2 * (y_pred - y_true)]                                      # the loss's own derivative
        for i in reversed(range(len(model.layers))):
            neurons = model.layers[i].neurons
            y_previous, zs, _ = trace[i]
            dl_dz = [dl_dy[j] * f_prime(n, zs[j]) for j, n in enumerate(neurons)]                 # formula 1
            for j in range(len(neurons)):
                for k, y_k in enumerate(y_previous):
                    grads[f'layers.{i}.neurons.{j}.w.{k}'] += dl_dz[j] * y_k                      # formula 2
                grads[f'layers.{i}.neurons.{j}.b'] += dl_dz[j]                                    # formula 3
            dl_dy = [sum(dl_dz[j] * n.w[k].data for j, n in enumerate(neurons))                   # formula 4
                     for k in range(len(y_previous))]
        input_grads.append(dl_dy)                                            # dl/dy^0 = dl/dx
    return grads, input_grads


def backward_by_library(model, xs, ys):
    """The same gradients from loss.backward(), and the loss (for explain)."""
    inputs = [[Value(v) for v in x] for x in xs]
    squares = []
    for n, (x, y_true) in enumerate(zip(inputs, ys), start=1):
        y_pred = model(x)
        tag_sample(y_pred, n)
        squares.append((y_pred - y_true) ** 2)
    loss = sum(squares)
    loss.label = 'loss'
    model.zero_grad()
    loss.backward()
    return {name: p.grad for name, p in model.named_parameters()}, [[v.grad for v in x] for x in inputs], loss


def tag_sample(output, n):
    """Prefix the labels of one sample's nodes with s<n>. (the network labels a node by its place in the network,
    so every sample's z of a neuron has the same label; the weights, shared by all samples, keep theirs)."""
    for node in topological_order(output):
        if node._prev and node.label:
            node.label = f's{n}.{node.label}'


def largest_difference(model, xs, ys):
    """The largest |formula - backward()| over every weight, bias and input gradient."""
    grads, input_grads = backward_by_formulas(model, xs, ys)
    library, library_inputs, _ = backward_by_library(model, xs, ys)
    differences = [abs(grads[name] - library[name]) for name in grads]
    differences += [abs(a - b) for mine, theirs in zip(input_grads, library_inputs) for a, b in zip(mine, theirs)]
    return max(differences)


# %% [markdown]
# ## The numbers, side by side

# %%
model = build_network(SEED)
by_formulas, inputs_by_formulas = backward_by_formulas(model, XS, YS)
by_library, inputs_by_library, loss = backward_by_library(model, XS, YS)
print(f'loss = {loss.data:.6f} over {len(XS)} samples\n')
print(f'{"parameter":24} {"formulas":>12} {"backward()":>12}')
for name in by_formulas:
    print(f'{name:24} {by_formulas[name]:12.6f} {by_library[name]:12.6f}')
for n, (mine, theirs) in enumerate(zip(inputs_by_formulas, inputs_by_library), start=1):
    print(f'{f"dl/dx of sample {n}":24} {[round(v, 6) for v in mine]!s:>26}  {[round(v, 6) for v in theirs]}')

# %% [markdown]
# ## explain(): one weight's chain rule, in the library's words
#
# `explain()` reads the same chain rule off the graph: the weight is used once per sample, so its gradient is
# a sum of one term per sample, each $\partial\ell/\partial z \cdot y^{i-1}$ (formula 2).

# %%
weight = dict(model.named_parameters())[EXPLAINED]
print(explain(weight, root=loss))

# %% [markdown]
# ## The picture: every gradient, both ways
#
# Bars are the formulas, dots are `backward()`; a dot sits on top of its bar.

# %%
def article_name(name):
    """layers.0.neurons.1.w.0 -> $w^1_{2,1}$: the articles count layers, neurons and inputs from 1."""
    parts = name.split('.')
    i, j = int(parts[1]) + 1, int(parts[3]) + 1
    return f'$w^{i}_{{{j},{int(parts[5]) + 1}}}$' if parts[4] == 'w' else f'$b^{i}_{{{j}}}$'


names = list(by_formulas)
hidden = sum(name.startswith('layers.0.') for name in names)
fig, ax = plt.subplots(figsize=(12, 5), layout='constrained')
ax.bar(range(len(names)), [by_formulas[n] for n in names], color='#9ecae1', label='the four formulas, layer by layer')
ax.plot(range(len(names)), [by_library[n] for n in names], 'o', color='#08306b', label='loss.backward()')
ax.axhline(0, color='black', linewidth=0.8)
ax.axvline(hidden - 0.5, color='grey', linestyle='--')
ax.text(hidden / 2 - 0.5, 0.97, 'hidden layer (i = 1)', transform=ax.get_xaxis_transform(), ha='center', va='top')
ax.text((hidden + len(names)) / 2 - 0.5, 0.97, 'output layer (i = 2)', transform=ax.get_xaxis_transform(),
        ha='center', va='top')
ax.set_xticks(range(len(names)), [article_name(n) for n in names], fontsize=13)
ax.set_ylabel(r'$\partial\ell\,/\,\partial$ parameter')
ax.set_title(f'Every gradient of the 2-3-1 network on {len(XS)} samples: by the formulas and by backward()')
ax.legend(loc='lower left')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '02_chain_rule.png', dpi=100)

# %% [markdown]
# The same gradients on the network: `draw_network(model, edges='grad')` draws each weight's edge by its
# $\partial\ell/\partial w$ (width its size, red positive, blue negative).

# %%
on_network = draw_network(model, edges='grad', format='png', number_format='.3f')
on_network.attr(dpi='150')
on_network.render(OUTPUT / '02_chain_rule_network', cleanup=True)
on_network  # noqa: B018  (a notebook shows the picture here)

# %% [markdown]
# ## The check

# %%
difference = largest_difference(model, XS, YS)
print(f'CLAIM: the four formulas give every one of the {len(names)} parameter gradients and the {2 * len(XS)} '
      f'input gradients that backward() gives (largest difference {difference:.1e})')
assert difference < 1e-12
