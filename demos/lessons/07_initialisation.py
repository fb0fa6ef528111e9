# %% [markdown]
# # Lesson 7: initialisation
#
# Before the first step every weight needs a value, and the choice matters twice over.
#
# **Symmetry.** If all the weights start equal, every hidden neuron computes the same thing, receives the same
# gradient and takes the same step, for ever: a layer of 4 neurons behaves like 1. Random starting values
# break the tie.
#
# **Scale.** Each layer multiplies its input by weights and adds up $n$ terms (its fan-in). If the weights are
# too big the signal grows layer by layer (or tanh saturates at $\pm 1$); too small and it fades away. Xavier
# initialisation (Glorot and Bengio) draws weights with variance $2/(n_{in} + n_{out})$, made for tanh; He
# initialisation (He et al.) uses $2/n_{in}$, twice as much, because ReLU zeroes half of its inputs.
# micrograd's default draws from $U(-1, 1)$, variance $1/3$, whatever the fan-in.

# %%
import pathlib
import random
import statistics

import matplotlib.pyplot as plt

from micrograd_plus import no_grad, plots
from micrograd_plus.data import make_xor
from micrograd_plus.losses import binary_cross_entropy_with_logits
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD

# Numbers to change
CONSTANT = 0.5       # every weight and bias of the symmetric network
STEPS = 150          # training steps for the symmetry experiment
WIDTH = 32           # neurons per layer of the deep network
DEPTH = 10           # its layers
INITS = ['uniform', 'xavier', 'he']
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Symmetry: equal weights stay equal
#
# Two copies of a 2-4-1 tanh network learn XOR (four clusters at the corners of a square, opposite corners alike:
# no single straight line separates the classes, so one hidden neuron is not enough). One copy starts with every
# parameter set to the same number, the other with micrograd's random weights. We follow how far apart the 4
# hidden neurons' weights are, and how well each network does.

# %%
def hidden_spread(model):
    """The largest difference between any two hidden neurons' weights and biases (0: they are identical)."""
    neurons = [[p.data for p in n.parameters()] for n in model.layers[0].neurons]
    return max(abs(a - b) for u in neurons for v in neurons for a, b in zip(u, v))


def train_xor(model, steps, seed):
    """Full-batch SGD on 32 XOR points: each hidden neuron's first weight at every step, and the accuracy."""
    X, y = make_xor(32, noise=0.2, seed=seed)
    optimizer = SGD(model.parameters(), lr=0.5)
    first_weights = [[n.w[0].data for n in model.layers[0].neurons]]
    for _ in range(steps):
        loss = binary_cross_entropy_with_logits([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        first_weights.append([n.w[0].data for n in model.layers[0].neurons])
    with no_grad():
        accuracy = sum((model(x).data > 0) == (t == 1) for x, t in zip(X, y)) / len(y)
    return first_weights, accuracy


def symmetric_network(constant, seed):
    model = MLP(2, [4, 1], activation='tanh', rng=seed)
    for p in model.parameters():
        p.data = constant
    return model


symmetric = symmetric_network(CONSTANT, SEED)
random_start = MLP(2, [4, 1], activation='tanh', rng=SEED)
symmetric_weights, symmetric_accuracy = train_xor(symmetric, STEPS, SEED)
random_weights, random_accuracy = train_xor(random_start, STEPS, SEED)
print(f'after {STEPS} steps the hidden neurons differ by at most {hidden_spread(symmetric)} (equal start) and '
      f'{hidden_spread(random_start):.3f} (random start); accuracy {symmetric_accuracy:.0%} (as good as one '
      f'neuron gets) against {random_accuracy:.0%}')


# %% [markdown]
# ## Scale: the activations of a deep network, layer by layer
#
# A network of 10 layers of 32 neurons reads 100 random inputs (each number drawn from a standard normal).
# For every layer we take the spread (standard deviation) of all its outputs, and for tanh the share of
# outputs saturated at $|y| > 0.99$, where the slope $1 - y^2$ is nearly 0 and little gradient gets through.

# %%
def layer_outputs(activation, init, width, depth, samples, seed):
    """Every layer's outputs (a flat list per layer) for random standard-normal inputs: a forward hook on each
    layer keeps what the layer gives while the model runs."""
    source = random.Random(seed)
    X = [[source.gauss(0, 1) for _ in range(width)] for _ in range(samples)]
    model = MLP(width, [width] * depth, activation=activation, output_activation=activation, init=init, rng=seed)
    return [values for _, values in plots.layer_outputs(model, X)]  # layer by layer, under no_grad()


def spreads(layers):
    return [statistics.pstdev(values) for values in layers]


def saturated(values):
    return sum(abs(v) > 0.99 for v in values) / len(values)


outputs = {(activation, init): layer_outputs(activation, init, WIDTH, DEPTH, 100, SEED)
           for activation in ('tanh', 'relu') for init in INITS}
for (activation, init), layers in outputs.items():
    extra = f', {saturated(layers[-1]):.0%} saturated in the last layer' if activation == 'tanh' else ''
    print(f'{activation:4} {init:7}: spread per layer ' + ' '.join(f'{s:.2g}' for s in spreads(layers)) + extra)

# %% [markdown]
# ## The picture
#
# Left, the first weight of each of the 4 hidden neurons while training: from an equal start the 4 lines are
# one. Middle, the last tanh layer's outputs for each initialisation. Right, the spread of the ReLU network's
# outputs layer by layer (log scale).

# %%
colors = {'uniform': '#d95f02', 'xavier': '#7570b3', 'he': '#1b9e77'}
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 5), layout='constrained')
left.plot(random_weights, color='#1b9e77', linewidth=1)
left.plot(symmetric_weights, color='#d95f02', linewidth=2)
left.plot([], [], color='#d95f02', label=f'equal start: 4 lines as one, accuracy {symmetric_accuracy:.0%}')
left.plot([], [], color='#1b9e77', label=f'random start: 4 neurons, accuracy {random_accuracy:.0%}')
left.set(xlabel='training step on XOR', ylabel='first weight of each hidden neuron', title='Equal weights stay equal')
left.legend(fontsize=8, loc='upper left')
bins = [-1 + k / 20 for k in range(41)]
for init in INITS:
    middle.hist(outputs['tanh', init][-1], bins=bins, histtype='step', linewidth=2, color=colors[init],
                label=f'{init}: {saturated(outputs["tanh", init][-1]):.0%} saturated')
middle.set(xlabel=f'output of tanh layer {DEPTH}', ylabel='count', title=f'tanh, layer {DEPTH} of {DEPTH}')
middle.legend(fontsize=8, loc='upper center')
for init in INITS:
    right.semilogy(range(1, DEPTH + 1), spreads(outputs['relu', init]), 'o-', color=colors[init], label=init)
right.set(xlabel='layer', ylabel='spread of its outputs (log scale)', title='ReLU: only He keeps the scale')
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '07_initialisation.png', dpi=100)

# %% [markdown]
# ## The check

# %%
relu = {init: spreads(outputs['relu', init]) for init in INITS}
growth = {init: s[-1] / s[0] for init, s in relu.items()}
tanh_saturated = {init: saturated(outputs['tanh', init][-1]) for init in INITS}
print(f'CLAIM: equal weights never break symmetry (hidden neurons {hidden_spread(symmetric)} apart after {STEPS} '
      f'steps, accuracy {symmetric_accuracy:.0%}; random start: {hidden_spread(random_start):.2f} apart, '
      f'{random_accuracy:.0%}); through {DEPTH} ReLU layers the spread grows '
      f'{growth["uniform"]:.3g}x with uniform init, shrinks to {growth["xavier"]:.2g}x with Xavier and stays at '
      f'{growth["he"]:.2g}x with He; {tanh_saturated["uniform"]:.0%} of the last tanh layer is saturated with '
      f'uniform init, {tanh_saturated["xavier"]:.0%} with Xavier')
assert hidden_spread(symmetric) == 0.0 and hidden_spread(random_start) > 0.1
assert symmetric_accuracy <= 0.8 < 0.95 <= random_accuracy
assert growth['uniform'] > 100 and growth['xavier'] < 0.1 and 0.3 < growth['he'] < 3
assert tanh_saturated['uniform'] > 0.2 and tanh_saturated['xavier'] < 0.02
