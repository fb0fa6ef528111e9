# %% [markdown]
# # Lesson 15: residual connections
#
# Lesson 8 showed a deep sigmoid network's gradient fading layer by layer on its way back to the input. A
# residual connection (He et al.'s ResNets) wraps a block of layers so that its output is its input plus what the
# block computes, $y = x + F(x)$. Going backward, the sum hands its gradient to $x$ unchanged:
#
# $$\frac{\partial\ell}{\partial x} = \frac{\partial\ell}{\partial y}\left(1 + \frac{\partial F}{\partial x}\right)$$
#
# so however small $\partial F/\partial x$ is, the gradient reaches the early blocks through the "1": the skip
# is a straight road back to the first layers. We build one deep network twice, with and without skips around
# its blocks, and look at the gradient each block gets and at which of the two learns.

# %%
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus import no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.losses import binary_cross_entropy_with_logits
from micrograd_plus.nn import Linear, ReLU, Residual, Sequential, Sigmoid, Tanh, grad_norms
from micrograd_plus.optim import SGD

# Numbers to change
BLOCKS = 12             # each block: Linear(8, 8) then the activation
WIDTH = 8
ACTIVATION = 'sigmoid'  # try 'tanh': the plain network then learns, slowly; the residual one still wins
STEPS = 60
LEARNING_RATE = 0.1
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The two networks
#
# A `Linear(2, 8)` in, 12 blocks, a `Linear(8, 1)` out, all Xavier-initialised from the same seeds. In the second
# network every block is wrapped in `Residual(block)`.

# %%
ACTIVATIONS = {'sigmoid': Sigmoid, 'tanh': Tanh, 'relu': ReLU}


def build(skips, blocks, width, activation, seed):
    layers = [Linear(2, width, init='xavier', rng=seed)]
    for k in range(blocks):
        block = Sequential(Linear(width, width, init='xavier', rng=seed + 1 + k), ACTIVATIONS[activation]())
        layers.append(Residual(block) if skips else block)
    layers.append(Linear(width, 1, init='xavier', rng=seed + 99))
    return Sequential(*layers)


def block_grad_norms(model):
    """The gradient norm of each block's Linear, first block to last (the Linears in and out left out)."""
    return list(grad_norms(model, by='layer').values())[1:-1]


def train(skips, blocks, width, activation, steps, learning_rate, seed):
    """The gradient norm per block at the first step, the loss at every step, and the final accuracy."""
    X, y = make_moons(48, noise=0.1, seed=seed)
    model = build(skips, blocks, width, activation, seed)
    optimizer = SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    losses = []
    for step in range(steps):
        loss = binary_cross_entropy_with_logits([model(x)[0] for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        if step == 0:
            first_norms = block_grad_norms(model)
        optimizer.step()
        losses.append(loss.data)
    with no_grad():
        accuracy = sum((model(x)[0].data > 0) == (t == 1) for x, t in zip(X, y)) / len(y)
    return first_norms, losses, accuracy


runs = {skips: train(skips, BLOCKS, WIDTH, ACTIVATION, STEPS, LEARNING_RATE, SEED) for skips in (False, True)}
for skips, (norms, losses, accuracy) in runs.items():
    print(f'{"with" if skips else "without":7} skips: gradient norm per block ' + ' '.join(f'{n:.1e}' for n in norms))
    print(f'{"":15}loss {losses[0]:.3f} -> {losses[-1]:.3f} in {STEPS} steps, accuracy {accuracy:.0%}')

# %% [markdown]
# ## The picture
#
# Left, the gradient norm of each block at the first step (log scale): without skips it fades by orders of
# magnitude towards the input; with them every block gets a usable gradient. Right, the training loss. The
# residual network starts higher: each sigmoid block adds a positive number (about 0.5) to what flows through,
# so the output layer first reads large inputs; a few steps fix that.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained')
for skips, color in [(False, '#d95f02'), (True, '#1b9e77')]:
    norms, losses, accuracy = runs[skips]
    name = 'with skips, y = x + F(x)' if skips else 'without skips, y = F(x)'
    left.semilogy(range(1, BLOCKS + 1), norms, 'o-', color=color, label=name)
    right.plot(losses, color=color, label=f'{name}: accuracy {accuracy:.0%}')
left.set(xlabel='block (1 = nearest the input)', ylabel='gradient norm at the first step (log scale)',
         title=f'{BLOCKS} {ACTIVATION} blocks: the gradient each block gets')
left.xaxis.get_major_locator().set_params(integer=True)
right.axhline(0.6931, color='grey', linestyle=':', label='ln 2: a coin toss')
right.set(xlabel='step', ylabel='training loss', title='Which one learns')
left.legend()
right.legend()
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '15_residual_connections.png', dpi=100)

# %% [markdown]
# ## The check

# %%
(plain_norms, plain_losses, plain_accuracy), (skip_norms, skip_losses, skip_accuracy) = runs[False], runs[True]
print(f'CLAIM: through {BLOCKS} {ACTIVATION} blocks the first block gets {plain_norms[0] / plain_norms[-1]:.0e} of the '
      f'last block\'s gradient without skips and {skip_norms[0] / skip_norms[-1]:.2g} with them; in {STEPS} steps the '
      f'plain network ends at loss {plain_losses[-1]:.3f} ({plain_accuracy:.0%} accuracy) and the residual one at '
      f'{skip_losses[-1]:.3f} ({skip_accuracy:.0%})')
assert skip_norms[0] > 0.1 * skip_norms[-1] and plain_norms[0] / plain_norms[-1] < skip_norms[0] / skip_norms[-1]
assert skip_losses[-1] < 0.5 * plain_losses[-1] and skip_accuracy > plain_accuracy
if ACTIVATION == 'sigmoid':  # sigmoid's slope, at most 1/4, makes the plain stack's gradient vanish outright
    assert plain_norms[0] < 1e-4 * plain_norms[-1] and plain_losses[-1] > 0.68 and skip_accuracy > 0.9
