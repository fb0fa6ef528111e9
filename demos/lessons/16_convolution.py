# %% [markdown]
# # Lesson 16: convolution, one small kernel slid over the whole image
#
# A digit is a digit wherever it sits in the picture: a stroke detector that works at the top left should
# work at the bottom right too. A convolutional layer builds that in. Instead of one weight per (pixel,
# neuron) pair, it has a few small kernels of weights, here 3x3, and slides each over the image: output
# channel $o$ at row $i$, column $j$ is
#
# $$z^o_{ij} = b^o + \sum_{a,b} w^o_{ab}\, x_{i+a,\,j+b}$$
#
# the same weights at every position. So a weight is used many times per image, and by the chain rule its
# gradient is the sum over all those uses: $\partial L/\partial w^o_{ab} = \sum_{ij} \partial L/\partial
# z^o_{ij}\; x_{i+a,j+b}$. That is all backpropagation through a convolution is.
#
# The data: 1,797 handwritten digits of 8x8 pixels (the UCI optical digits set, Alpaydin & Kaynak 1998,
# shipped with the library). The network: `Conv2d(1, 4, 3)` (4 kernels of 3x3), ReLU, `MaxPool2d(2)`
# (the largest of each 2x2 block), `Flatten`, `Linear(36, 10)`: one score per digit.

# %%
import pathlib
import random
import time

import matplotlib.pyplot as plt

from micrograd_plus import explain, no_grad, plots
from micrograd_plus.data import load_digits
from micrograd_plus.losses import cross_entropy
from micrograd_plus.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from micrograd_plus.optim import Adam
from micrograd_plus.training import CompiledStep

# Numbers to change
TRAIN = 1200           # digits to train on; the other 597 are held out
EPOCHS = 10
BATCH = 20
LEARNING_RATE = 0.03   # Adam's, decayed linearly to 0 over the epochs
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## Why share weights
#
# A dense layer from the 64 pixels to as many outputs as the convolution makes (4 channels of 6x6 = 144)
# needs a weight for every pixel and every output. The convolution needs 4 kernels of 9 weights and 4 biases.

# %%
def build(seed):
    return Sequential(Conv2d(1, 4, 3, rng=seed), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(36, 10, init='xavier', rng=seed + 1))


def parameter_counts():
    """(a dense layer's, the convolution's) parameters for the same 8x8 image and 144 outputs."""
    dense = Linear(64, 4 * 6 * 6)
    return len(dense.parameters()), len(Conv2d(1, 4, 3).parameters())


dense_count, conv_count = parameter_counts()
print(f'64 pixels -> 144 outputs: a dense layer has {dense_count:,} parameters, the convolution {conv_count}')


# %% [markdown]
# ## Training: one graph, compiled once
#
# Every batch of 20 digits builds the same graph; only the pixels differ. `CompiledStep` builds it once on
# placeholder leaves, compiles it (`compile_graph`), and each step fills in the batch's numbers: the same
# gradients as `loss.backward()`, a few times faster. The max-pool's choice of the largest cell is an op in
# the graph, so it is made anew for every image.

# %%
def split(train, seed):
    images, labels = load_digits()
    order = list(range(len(images)))
    random.Random(seed).shuffle(order)
    pick = lambda idx: ([images[i] for i in idx], [labels[i] for i in idx])  # noqa: E731
    return pick(order[:train]), pick(order[train:])


def predict(model, images):
    """The digit with the highest score, for each image."""
    with no_grad():
        scores = [model(x) for x in images]
    return [max(range(10), key=lambda k, s=s: s[k].data) for s in scores]


def train(train_size, epochs, batch, learning_rate, seed):
    """The trained model, the held-out (images, labels, predictions), the loss per epoch and the seconds."""
    (images, labels), held_out = split(train_size, seed)
    model = build(seed)
    started = time.perf_counter()
    step = CompiledStep(model, images[0], classes=10, batch_size=batch)
    optimizer = Adam(model.parameters(), lr=learning_rate)
    rng, order, losses = random.Random(seed), list(range(len(images))), []
    steps = epochs * (len(images) // batch)
    for epoch in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order) - batch + 1, batch):
            chosen = order[start:start + batch]
            total += step([images[i] for i in chosen], [labels[i] for i in chosen])
            optimizer.lr = learning_rate * (1 - (epoch * (len(images) // batch) + start // batch) / steps)
            optimizer.step()
        losses.append(total / (len(images) // batch))
    seconds = time.perf_counter() - started
    return model, (*held_out, predict(model, held_out[0])), losses, seconds


model, (test_images, test_labels, predictions), losses, seconds = train(TRAIN, EPOCHS, BATCH, LEARNING_RATE, SEED)
accuracy = sum(p == t for p, t in zip(predictions, test_labels)) / len(test_labels)
print(f'trained on {TRAIN} digits in {seconds:.1f} s: loss {losses[0]:.3f} -> {losses[-1]:.3f}, '
      f'held-out accuracy {accuracy:.1%} on {len(test_labels)} digits')


# %% [markdown]
# ## One weight, 36 uses
#
# `explain` shows the chain rule for a kernel weight: one term per position of the 6x6 output it was used at.

# %%
def explain_kernel_weight(model, image, label):
    loss = cross_entropy([model(image)], [label])
    model.zero_grad()
    loss.backward()
    return explain(model[0].weight[0][0][1][2], root=loss)


explained = explain_kernel_weight(model, test_images[0], test_labels[0])
print('\n'.join(explained.splitlines()[:5]))

# %% [markdown]
# ## What it learned, and what it gets wrong
#
# The kernels (red adds the pixel under it, blue subtracts it), what they make of one digit, and held-out
# digits the network misreads.

# %%
wrong = [(image, t, p) for image, t, p in zip(test_images, test_labels, predictions) if p != t]
fig = plt.figure(figsize=(12, 6.5), layout='constrained')
rows = fig.subfigures(3, 1)
plots.kernels(model[0], axes=rows[0].subplots(1, 4))
rows[0].suptitle('the 4 kernels after training (3x3 weights)')
with no_grad():
    maps = model[1](model[0](test_images[0]))
sample_axes = rows[1].subplots(1, 5)
plots.image_grid([test_images[0][0]], [f'a {test_labels[0]}'], axes=sample_axes[:1])
plots.feature_maps(maps, axes=sample_axes[1:])
rows[1].suptitle('one held-out digit and its 4 feature maps (after ReLU)')
shown = wrong[:8]
plots.image_grid([image[0] for image, _, _ in shown], [f'{t}, read as {p}' for _, t, p in shown],
                 axes=rows[2].subplots(1, len(shown)))
rows[2].suptitle(f'{len(wrong)} of {len(test_labels)} held-out digits read wrong: the first {len(shown)}')
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '16_convolution.png', dpi=100)

# %% [markdown]
# ## The check

# %%
print(f'CLAIM: a conv layer needs {conv_count} parameters where a dense layer needs {dense_count:,}; trained on '
      f'{TRAIN} digits in {seconds:.0f} s it reads {accuracy:.1%} of {len(test_labels)} held-out digits right; '
      'a kernel weight is used at 36 positions of each image')
assert conv_count == 40 and dense_count == 9360
assert accuracy >= 0.95 and 'used at 36 positions of each image' in explained
