# %% [markdown]
# # Lesson 1: the forward pass and the loss
#
# A network turns an input into a prediction one layer at a time. Every neuron $j$ of layer $i$ does two
# things (equations 1 and 2 of the articles):
#
# $$z^i_j = b^i_j + \vec w^i_j \cdot \vec y^{\,i-1} \qquad \text{(its weighted sum)}$$
# $$y^i_j = f(z^i_j) \qquad \text{(its activation)}$$
#
# where $\vec y^{\,0}$ is the input $\vec x$. The last layer's $y$ is the prediction $y^{pred}$, and the loss
# $\ell$ says how far it is from the truth. Here: the squared error $\ell = (y^{pred} - y^{true})^2$.
#
# The network is the smallest one with a hidden layer worth drawing: 2 inputs, 3 hidden neurons with
# $f = \tanh$, 1 linear output neuron ($f(z) = z$). A "2-3-1" network. We compute every $z$ and $y$ twice:
# by hand from the equations, and by the library, and check that they agree.

# %%
import math
import pathlib

from micrograd_plus import Value, draw_dot, topological_order
from micrograd_plus.nn import MLP
from micrograd_plus.viz import draw_network

# Numbers to change
SEED = 1           # the network's weights are drawn from this seed
X = [0.5, -1.0]    # one input
Y_TRUE = 1.0       # what the network should say for it

# Pictures go to demos/output/lessons/ (a notebook runs in its own folder, where __file__ is not defined)
HERE = pathlib.Path(__file__).parent if '__file__' in globals() else pathlib.Path.cwd()
OUTPUT = HERE.parent / 'output' / 'lessons'


# %% [markdown]
# ## The network
#
# `MLP(2, [3, 1], activation='tanh')` is micrograd's network: a hidden layer of 3 tanh neurons and a linear
# output layer. Its weights come from the seed; its biases start at 0. The library counts from 0, the articles
# from 1: the weighted sum $z^1_2$ of the second hidden neuron is the node labelled `layers.0.neurons.1.z`.

# %%
def build_network(seed):
    """The 2-3-1 network: 3 tanh neurons, then one linear neuron."""
    return MLP(2, [3, 1], activation='tanh', rng=seed)


def forward_by_hand(model, x):
    """Equations 1 and 2 in plain floats, layer by layer: a list of (zs, ys), one pair per layer."""
    layers = []
    y_previous = list(x)
    for layer in model.layers:
        zs, ys = [], []
        for neuron in layer.neurons:
            z = neuron.b.data
            for w, y in zip(neuron.w, y_previous):  # left to right, as the library adds
                z += w.data * y
            zs.append(z)
            ys.append(math.tanh(z) if neuron.activation == 'tanh' else z)
        layers.append((zs, ys))
        y_previous = ys
    return layers


def forward_by_library(model, x, y_true):
    """The library's forward pass: the loss node, and every labelled node's number by its label."""
    inputs = [Value(v, label=f'x{k}') for k, v in enumerate(x)]  # the library's names count from 0
    y_pred = model(inputs)
    loss = (y_pred - Value(y_true, label='y_true')) ** 2
    loss.label = 'loss'
    return loss, {node.label: node.data for node in topological_order(loss) if node.label}


def largest_difference(model, x, y_true):
    """How far the hand computation is from the library's, over every z, every y and the loss."""
    by_hand = forward_by_hand(model, x)
    loss, by_library = forward_by_library(model, x, y_true)
    differences = []
    for i, (zs, ys) in enumerate(by_hand):
        for j, (z, y) in enumerate(zip(zs, ys)):
            differences.append(abs(z - by_library[f'layers.{i}.neurons.{j}.z']))
            if model.layers[i].neurons[j].activation != 'linear':  # a linear neuron's y is its z
                differences.append(abs(y - by_library[f'layers.{i}.neurons.{j}.y']))
    y_pred = by_hand[-1][1][0]
    differences.append(abs((y_pred - y_true) ** 2 - loss.data))
    return max(differences)


# %% [markdown]
# ## Every z and y, by hand
#
# Layer by layer, the weighted sum written out with its numbers, then the activation.

# %%
model = build_network(SEED)
y_previous = X
for i, (zs, ys) in enumerate(forward_by_hand(model, X), start=1):
    kind = 'hidden, tanh' if i < len(model.layers) else 'output, linear'
    print(f'layer {i} ({kind}), reading y^{i - 1} = {[round(v, 4) for v in y_previous]}')
    for j, (neuron, z, y) in enumerate(zip(model.layers[i - 1].neurons, zs, ys), start=1):
        terms = ' + '.join(f'({w.data:.4f})({v:.4f})' for w, v in zip(neuron.w, y_previous))
        f = f'tanh({z:.4f})' if neuron.activation == 'tanh' else 'z'
        print(f'  z^{i}_{j} = {neuron.b.data:.4f} + {terms} = {z:.4f}    y^{i}_{j} = {f} = {y:.4f}')
    y_previous = ys
y_pred = y_previous[0]
print(f'loss = (y_pred - y_true)^2 = ({y_pred:.4f} - {Y_TRUE})^2 = {(y_pred - Y_TRUE) ** 2:.4f}')

# %% [markdown]
# ## The network picture
#
# `draw_network` draws the network itself: the inputs and the neurons as circles, one column per layer, and one
# edge per weight (its width the weight's size, red for positive and blue for negative). Given the input, each
# circle shows its neuron's activation $y$ for it: the numbers above, in the library's names (counted from 0).

# %%
OUTPUT.mkdir(parents=True, exist_ok=True)
network = draw_network(model, x=X, format='png', number_format='.3f')
network.attr(dpi='150')
network.render(OUTPUT / '01_forward_pass', cleanup=True)
network  # noqa: B018  (a notebook shows the picture here)

# %% [markdown]
# ## The same numbers from the library's graph
#
# While it computes, the library builds a graph: every number above is a node, labelled with its place in the
# network. Drawn with `draw_dot`, the graph is the forward pass in full: the inputs (blue), the weights and
# biases (yellow), each neuron's `dot` node making its weighted sum $z$ and its `tanh` node making $y$, and the
# loss (red).

# %%
loss, by_library = forward_by_library(model, X, Y_TRUE)
for name in ('layers.0.neurons.0.z', 'layers.0.neurons.0.y', 'layers.1.neurons.0.z', 'loss'):
    print(f'{name:22} {by_library[name]:.4f}')
graph = draw_dot(loss, format='png', show_grad=False, color_by='role', parameters=model.parameters())
graph.render(OUTPUT / '01_forward_pass_graph', cleanup=True)
graph  # noqa: B018

# %% [markdown]
# ## The check
#
# The equations by hand and the library's graph agree on every $z$, every $y$ and the loss, to the last bit:
# the library adds $b + w_1 y_1 + w_2 y_2 + \dots$ left to right, as the hand computation does.

# %%
difference = largest_difference(model, X, Y_TRUE)
print(f'CLAIM: every z and y of the 2-3-1 network and the loss {loss.data:.4f} are the same by hand and by the '
      f'library (largest difference {difference})')
assert difference == 0.0
