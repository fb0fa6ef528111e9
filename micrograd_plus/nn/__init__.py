"""Neurons, layers and networks on the engine: micrograd's MLP, and the layers a backprop course needs.

``Neuron(nin)`` / ``Layer(nin, nout)`` / ``MLP(nin, nouts)`` build, call and repr exactly as micrograd's
(ReLU hidden layers, a linear last layer, ``parameters()`` in the same order, the same weights from the
same ``random.seed``). Beside them, layers in PyTorch's shape that compose: ``Linear``, ``ReLU``, ``Tanh``,
``Sigmoid``, ``Dropout``, ``BatchNorm``, ``Residual`` and ``Sequential``, with ``train()`` / ``eval()``,
``batch(samples)`` for a whole batch, ``state_dict()`` / ``save`` / ``load`` (JSON that round-trips
exactly), ``grad_norms`` and a way on to PyTorch (``to_torch()``, ``from_torch``).

Names. Every parameter and every node a layer makes is labelled with its dotted path in the model, so
pictures, ``explain()`` and the stepper say where a number comes from:

    layers.1.neurons.3.w.0   a weight          layers.1.neurons.3.z   that neuron's weighted sum (b + w . x)
    layers.1.neurons.3.b     its bias          layers.1.neurons.3.y   its activation (a linear neuron stops at z)
    layers.2.y.5             output 5 of any other layer: ReLU, Dropout, BatchNorm, Residual
    layers.2.mean.5          BatchNorm's inner nodes: sum, mean, centered, sumsq, var, var_eps, std, xhat

Samples: where one graph holds several samples (``model.batch(X)``, or ``sum((model(x) - y)**2 for x, y in
...)``), the nodes made for sample i read ``layers.1.neurons.0.z[3]`` (one notation everywhere: labels,
explain, the stepper, draw_dot, text_view). Each call of a model is one sample; a view of a graph numbers
the samples it holds in the order they were computed (``samples.name_samples``), so a graph of one sample
keeps the plain names.

A Sequential keeps its layers in ``layers``, like an MLP. A model is named when its outermost ``__init__``
returns (custom Modules too), so a layer's names say where it sits in the model it was built into; call
``label_parameters()`` after changing a model's structure by hand.

Images and sequences (one sample, no batch dimension, as PyTorch's layers): ``Conv2d``, ``MaxPool2d``,
``AvgPool2d``, ``Flatten`` on ``[channel][row][col]`` (nn/conv.py); ``RNN``, ``RNNCell``, ``Embedding`` on
``[time][feature]`` and indices (nn/recurrent.py). Their nodes name the position or time step in brackets:
``layers.0.z.2[3,4]``, ``rnn.h.3[t=5]``.

Speed: a neuron's weighted sum is one ``dot`` node instead of 2n ``*``/``+`` nodes.
"""
from ..saving import ParameterFileError
from .conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from .layers import BatchNorm, Dropout, Linear, ReLU, Residual, Sequential, Sigmoid, Tanh, grad_norms
from .micrograd import ACTIVATIONS, INITS, MLP, Layer, Neuron
from .module import Module
from .recurrent import RNN, Embedding, RNNCell
from .torch import from_torch

__all__ = ['ACTIVATIONS', 'INITS', 'MLP', 'RNN', 'AvgPool2d', 'BatchNorm', 'Conv2d', 'Dropout', 'Embedding', 'Flatten',
           'Layer', 'Linear', 'MaxPool2d', 'Module', 'Neuron', 'ParameterFileError', 'RNNCell', 'ReLU', 'Residual',
           'Sequential', 'Sigmoid', 'Tanh', 'from_torch', 'grad_norms']
