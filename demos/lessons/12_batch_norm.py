# %% [markdown]
# # Lesson 12: batch normalisation
#
# In a deep network each layer works on what the layer before it produced, and those numbers can drift far from
# where the layer's activation function is useful. A deep sigmoid network shows it at its starkest: each layer
# squeezes its input into a narrower range, and by the 6th layer every sample produces nearly the same numbers,
# so the output cannot tell the samples apart and the gradients (lesson 8) are tiny.
#
# Batch normalisation (Ioffe and Szegedy) puts a `BatchNorm` after each layer's weighted sums: over the samples
# of a batch, each neuron's $z$ is shifted and scaled to mean 0 and variance 1, then given a learned scale and
# shift ($\gamma \hat z + \beta$, starting at 1 and 0). Every layer then sees inputs of the same, useful size,
# whatever the layers before it do.

# %%
import pathlib
import statistics

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import batches, make_moons
from micrograd_plus.losses import binary_cross_entropy_with_logits
from micrograd_plus.nn import BatchNorm, Linear, Sequential, Sigmoid
from micrograd_plus.optim import SGD
from micrograd_plus.plots import activation_histograms

# Numbers to change
DEPTH = 6               # hidden layers of sigmoid neurons
WIDTH = 12
EPOCHS = 20
BATCH = 16
LEARNING_RATE = 0.05
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Two networks
#
# The same layers from the same seeds, Xavier-initialised (the right scale for sigmoid); one with a `BatchNorm`
# between each `Linear` and its `Sigmoid`.

# %%
def build(batch_norm, depth, width, seed):
    layers, inputs = [], 2
    for k in range(depth):
        layers.append(Linear(inputs, width, init='xavier', rng=seed + k))
        if batch_norm:
            layers.append(BatchNorm(width))
        layers.append(Sigmoid())
        inputs = width
    return Sequential(*layers, Linear(width, 1, init='xavier', rng=seed + 99))


def hidden_outputs(model, X):
    """Each hidden layer's outputs for the batch X: per layer, per sample, per neuron (training mode). A forward
    hook on each Sigmoid keeps what it gives for the whole batch while the model runs."""
    model.train()
    layers = []

    def keep(module, inputs, outputs):
        layers.append([[v.data for v in row] for row in outputs])

    handles = [layer.register_forward_hook(keep) for layer in model.layers if isinstance(layer, Sigmoid)]
    with no_grad():
        model.batch(X)
    for handle in handles:
        handle.remove()
    return layers


def spread_per_layer(layers):
    """For each layer: how much a neuron's output varies across the samples (its standard deviation),
    averaged over the layer's neurons. Near 0: the layer gives every sample the same numbers."""
    return [statistics.mean(statistics.pstdev(column) for column in zip(*rows)) for rows in layers]


X, y = make_moons(64, noise=0.1, seed=SEED)
outputs = {bn: hidden_outputs(build(bn, DEPTH, WIDTH, SEED), X) for bn in (False, True)}
for bn, layers in outputs.items():
    print(f'{"with" if bn else "without":7} BatchNorm, spread of each neuron over the batch, layer by layer: '
          + ' '.join(f'{s:.1e}' for s in spread_per_layer(layers)))


# %% [markdown]
# ## Training both
#
# Mini-batches of 16 go through the network together (`model.batch`): BatchNorm needs the whole batch to take
# its mean and variance. We record the mean training loss of each epoch.

# %%
def train(batch_norm, depth, width, epochs, batch_size, learning_rate, seed):
    """Mean training loss per epoch."""
    X, y = make_moons(64, noise=0.1, seed=seed)
    model = build(batch_norm, depth, width, seed)
    optimizer = SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    model.train()
    per_epoch = []
    for epoch in range(epochs):
        losses = []
        for xb, yb in batches(X, y, batch_size, seed=epoch):
            loss = binary_cross_entropy_with_logits([out[0] for out in model.batch(xb)], yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.data)
        per_epoch.append(statistics.mean(losses))
    return per_epoch


curves = {bn: train(bn, DEPTH, WIDTH, EPOCHS, BATCH, LEARNING_RATE, SEED) for bn in (False, True)}
for bn, curve in curves.items():
    print(f'{"with" if bn else "without":7} BatchNorm, mean training loss per epoch: '
          + ' '.join(f'{v:.3f}' for v in curve))

# %% [markdown]
# ## The picture
#
# Left, every output of hidden layers 1, 3 and 6 for the 64 samples, without BatchNorm (top) and with it
# (bottom): without, each neuron gives every sample nearly the same number, a spike; with, the outputs spread
# over the sigmoid's range. Right, the spread per layer, and the training loss.

# %%
shown = [0, DEPTH // 2 - 1, DEPTH - 1]
fig = plt.figure(figsize=(12, 6), layout='constrained')
grid = fig.add_gridspec(2, 5)
bins = [k / 50 for k in range(51)]
for row, bn in enumerate((False, True)):
    axes = [fig.add_subplot(grid[row, column]) for column in range(len(shown))]
    activation_histograms(build(bn, DEPTH, WIDTH, SEED).train(), X, layers=shown, axes=axes, bins=bins,
                          color='#1b9e77' if bn else '#d95f02')
    for ax, layer in zip(axes, shown):
        ax.set_title(f'layer {layer + 1}, {"with" if bn else "without"} BN', fontsize=10)  # each spike: a neuron
        ax.set_xlabel('sigmoid output', fontsize=9)
        ax.set_ylabel('')
        ax.set_yticks([])
spread_ax = fig.add_subplot(grid[0, 3:])
loss_ax = fig.add_subplot(grid[1, 3:])
for bn, color in [(False, '#d95f02'), (True, '#1b9e77')]:
    name = 'with BatchNorm' if bn else 'without'
    spread_ax.semilogy(range(1, DEPTH + 1), spread_per_layer(outputs[bn]), 'o-', color=color, label=name)
    loss_ax.plot(range(1, EPOCHS + 1), curves[bn], 'o-', color=color, markersize=3, label=name)
spread_ax.set(xlabel='hidden layer', ylabel='spread over the batch', title='How much a neuron varies, per layer')
loss_ax.axhline(0.6931, color='grey', linestyle=':', label='ln 2: a coin toss')
loss_ax.xaxis.get_major_locator().set_params(integer=True)
loss_ax.set(xlabel='epoch', ylabel='mean training loss', title='Training')
spread_ax.legend(fontsize=9)
loss_ax.legend(fontsize=9)
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '12_batch_norm.png', dpi=100)

# %% [markdown]
# ## The check

# %%
def late_loss(curve):
    """The mean training loss of the last 5 epochs: one epoch's is noisy."""
    return statistics.mean(curve[-5:])


without, with_bn = spread_per_layer(outputs[False]), spread_per_layer(outputs[True])
print(f'CLAIM: without BatchNorm a neuron\'s output varies over the batch by {without[0]:.1e} in layer 1 and '
      f'{without[-1]:.1e} in layer {DEPTH}; with it by {min(with_bn):.2f} to {max(with_bn):.2f} in every layer; over '
      f'the last 5 of {EPOCHS} epochs the training loss is {late_loss(curves[False]):.3f} without (ln 2 = 0.693: no '
      f'better than a coin toss) and {late_loss(curves[True]):.3f} with BatchNorm')
assert without[-1] < 1e-3 and min(with_bn) > 0.1
assert late_loss(curves[False]) > 0.68 and late_loss(curves[True]) < 0.4
