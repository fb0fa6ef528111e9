# %% [markdown]
# # Lesson 8: vanishing and exploding gradients
#
# Going back through a layer multiplies the gradient by that layer's weights and by the slope of its
# activation (lesson 2: $\partial\ell/\partial z = \partial\ell/\partial y \cdot f'(z)$, then
# $\partial\ell/\partial y^{i-1} = \sum_j \partial\ell/\partial z_j \cdot w_j$). Through many layers these
# factors multiply. If they are below 1 the gradient fades on its way to the first layers, which then barely
# learn (vanishing); if they are above 1 it grows without bound (exploding).
#
# The sigmoid's slope is at most $\frac14$, so a deep sigmoid network loses most of its gradient at every
# layer. Tanh's slope is 1 at 0, and Xavier initialisation sizes the weights for it; ReLU's slope is 1 where it
# is active, and He initialisation sizes the weights so that the signal keeps its scale (lesson 7). We measure
# how much of the gradient each keeps. The same ReLU network with weights that are too large explodes.
#
# We measure the gradient norm of each layer, $\sqrt{\sum (\partial\ell/\partial w)^2}$ over its weights and
# biases, with `grad_norms(model)` after one `backward()`.

# %%
import pathlib

import matplotlib.pyplot as plt

from micrograd_plus.data import make_moons
from micrograd_plus.losses import mse
from micrograd_plus.nn import MLP, grad_norms

# Numbers to change
DEPTH = 10          # hidden layers
WIDTH = 16          # neurons per hidden layer
DEPTHS = [1, 2, 4, 6, 8, 10, 12]
NETWORKS = {        # name: (activation, init)
    'sigmoid, Xavier': ('sigmoid', 'xavier'),
    'tanh, Xavier': ('tanh', 'xavier'),
    'ReLU, He': ('relu', 'he'),
    'ReLU, uniform (too large)': ('relu', 'uniform'),
}
SEED = 0

HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## One backward pass, and the norm of each layer's gradient
#
# The network reads 32 moons points and its loss is the squared error against labels $\pm 1$. Layer 1 is the
# first hidden layer, the last one is the output layer.

# %%
def layer_grad_norms(activation, init, depth, width, seed):
    """The gradient norm of every layer (first to last) after one backward(), and the loss."""
    X, labels = make_moons(32, noise=0.1, seed=seed)
    model = MLP(2, [width] * depth + [1], activation=activation, init=init, rng=seed)
    loss = mse([model(x) for x in X], [2 * t - 1 for t in labels])
    loss.backward()
    return list(grad_norms(model, by='layer').values()), loss.data


norms = {}
for name, (activation, init) in NETWORKS.items():
    norms[name], loss = layer_grad_norms(activation, init, DEPTH, WIDTH, SEED)
    print(f'{name:26} loss {loss:9.3g}   gradient norm per layer: ' + ' '.join(f'{n:.1e}' for n in norms[name]))

# %% [markdown]
# ## Deeper and deeper
#
# The first layer's gradient norm as the network grows: the factors per layer compound.

# %%
first_layer = {name: [layer_grad_norms(activation, init, depth, WIDTH, SEED)[0][0] for depth in DEPTHS]
               for name, (activation, init) in NETWORKS.items()}
for name, row in first_layer.items():
    print(f'{name:26} first layer, depth {DEPTHS[0]}..{DEPTHS[-1]}: ' + ' '.join(f'{n:.1e}' for n in row))

# %% [markdown]
# ## The picture

# %%
colors = ['#d95f02', '#e7298a', '#1b9e77', '#7570b3']
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout='constrained')
for color, (name, row) in zip(colors, norms.items()):
    left.semilogy(range(1, len(row) + 1), row, 'o-', color=color, label=name)
    right.semilogy(DEPTHS, first_layer[name], 'o-', color=color, label=name)
left.set(xlabel=f'layer (1 = first hidden, {DEPTH + 1} = output)', ylabel='gradient norm (log scale)',
         title=f'{DEPTH} hidden layers of {WIDTH}: gradient norm per layer')
left.xaxis.get_major_locator().set_params(integer=True)
right.set(xlabel='hidden layers', ylabel='gradient norm of the first layer (log scale)',
          title='The first layer, as the network gets deeper')
left.legend(fontsize=9)
right.legend(fontsize=9)
OUTPUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUTPUT / '08_vanishing_gradients.png', dpi=100)

# %% [markdown]
# ## The check
#
# Tanh with Xavier initialisation keeps its gradients best at this depth: its slope is 1 at 0, and Xavier's
# weights were chosen for it; its first layer gets about 3 times the last layer's gradient norm. ReLU with He
# keeps them too, less evenly: its first layer gets about a fifth of the last layer's (the numbers printed
# above). Sigmoid, with Xavier's initialisation, loses almost all of it.

# %%
sigmoid, tanh, he, uniform = (norms[name] for name in NETWORKS)
print(f'CLAIM: through {DEPTH} hidden layers the first layer gets {sigmoid[0] / sigmoid[-1]:.1e} of the last '
      f'layer\'s gradient with sigmoid, {tanh[0] / tanh[-1]:.2g} with tanh and {he[0] / he[-1]:.2g} with ReLU + He; '
      f'too large an init gives the first layer {uniform[0] / he[0]:.2g} times He\'s gradient, and its first-layer '
      f'gradient grows {first_layer["ReLU, uniform (too large)"][-1] / first_layer["ReLU, uniform (too large)"][0]:.0f}'
      f'x from {DEPTHS[0]} to {DEPTHS[-1]} layers while sigmoid\'s shrinks to '
      f'{first_layer["sigmoid, Xavier"][-1] / first_layer["sigmoid, Xavier"][0]:.0e} of itself')
assert sigmoid[0] < 1e-3 * sigmoid[-1]
assert all(0.1 < n / tanh[-1] < 10 for n in tanh) and all(0.1 < n / he[-1] < 10 for n in he)
assert tanh[0] / tanh[-1] > 1 > he[0] / he[-1]  # tanh + Xavier keeps more of it than ReLU + He, here
assert uniform[0] > 100 * he[0]
assert first_layer['sigmoid, Xavier'][-1] < 1e-3 * first_layer['sigmoid, Xavier'][0]
assert first_layer['ReLU, uniform (too large)'][-1] > 100 * first_layer['ReLU, uniform (too large)'][0]
