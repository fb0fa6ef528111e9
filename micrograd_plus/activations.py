"""The activations, one entry each: what nn builds, what pictures recognise and compute, what the CLI reads.

An entry says everything the package knows about one activation: its name (``Neuron(activation='tanh')``),
the Value method that applies it, the same function on a float (draw_network's numbers), PyTorch's class
for it (``to_torch``), how it prints (``TanhNeuron(2)``, nn's ``Tanh()`` layer) and the ``_op`` of the node
it makes (how a picture tells an activation from other ops). ``'linear'`` is the identity: no node at all.
Adding an activation is one entry here (and its op's row in ops.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import checks, ops
from .engine import Value

__all__ = ['ACTIVATIONS', 'NAMES', 'NODE_OPS', 'Activation', 'activation']


class Activation(NamedTuple):
    """One activation, as every part of the package needs it."""
    name: str                                   # what activation= takes: 'relu'
    apply: Callable[[Value], Value] | None      # the Value method; None for linear (no node)
    on_float: Callable[[float], float]          # the same on a plain number
    torch_class: str | None                     # torch.nn's class for it: 'ReLU'; None for linear (nothing)
    shown: str                                  # how it prints: ReLUNeuron(2), nn's ReLU() layer, 'ReLU'
    op: str | None                              # the _op of the node it makes: 'ReLU', 'tanh'


def _identity(x: float) -> float:
    return x


ACTIVATIONS: dict[str, Activation] = {entry.name: entry for entry in (
    Activation('relu', Value.relu, ops.f_relu, 'ReLU', 'ReLU', 'ReLU'),
    Activation('tanh', Value.tanh, ops.f_tanh, 'Tanh', 'Tanh', 'tanh'),
    Activation('sigmoid', Value.sigmoid, ops.f_sigmoid, 'Sigmoid', 'Sigmoid', 'sigmoid'),
    Activation('linear', None, _identity, None, 'Linear', None),
)}
NAMES = tuple(ACTIVATIONS)  # 'relu', 'tanh', 'sigmoid', 'linear'
NODE_OPS = frozenset(entry.op for entry in ACTIVATIONS.values() if entry.op)  # the _op of an activation's node


def activation(name: str, what: str = 'activation') -> Activation:
    """The entry named ``name``, or a ValueError that lists the names (``what`` names the argument)."""
    return ACTIVATIONS[checks.choice(what, name, NAMES)]
