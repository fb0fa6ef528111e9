"""collapsed(root): a convolution's or an RNN's graph with each repeated node drawn once, marked "x N".

A conv layer makes the same weighted sum at every position of the image and an RNN the same cell at every
time step: 1,963 x 50,173 pixels of boxes for one 8x8 digit, or a refusal (GraphTooLargeError) for a 12-step
RNN. Their nodes name their place in brackets (``layers.0.z.2[3,4]``, ``rnn.h.3[t=5]``, see nn/conv.py),
so the nodes that differ only in their place are one group, and so are the numbered weights of one
tensor (``layers.0.weight.0.0.1.2``) and the unlabelled inputs of one group. ``collapsed`` returns a graph of
stand-in nodes, one per group, that draw_dot, trace and text_view draw like any other (the micrograd
protocol: data, grad, label, _prev, _op). Each shows the member with the largest gradient, and says so.
An RNN's groups feed themselves (h at t-1 into z at t): the drawing is the rolled-up loop of the textbooks.
"""
from __future__ import annotations

import math
import re
from typing import Any

from ..nn.conv import split_place
from .walk import check_node, trace

__all__ = ['collapsed']

_NUMBERED = re.compile(r'(?P<name>.*?[A-Za-z_]\w*)(?:\.\d+)+')  # layers.0.weight.0.0.1.2 -> layers.0.weight


class _Collapsed:
    """What collapsed() returns: one drawn node standing for ``count`` nodes of the graph (``members``) that
    repeat one computation."""

    __slots__ = ('_op', '_prev', 'count', 'data', 'grad', 'label', 'members')

    def __init__(self, members: list[Any], label: str, op: str) -> None:
        shown = max(members, key=lambda n: abs(n.grad) if math.isfinite(n.grad) else math.inf)
        self.members, self.count = members, len(members)
        self.data, self.grad, self.label, self._op = shown.data, shown.grad, label, op
        self._prev: tuple[_Collapsed, ...] = ()

    def __repr__(self) -> str:
        return f'_Collapsed({self.label!r}, {self.count} nodes)'


def _key(node: Any, first_use: dict[int, Any], keys: dict[int, str]) -> str:
    label: str = node.label
    if label:
        placed = split_place(label)
        if placed:
            return f'{placed[0]}[t]' if placed[1].startswith('t=') else f'{placed[0]}[row,col]'
        if not node._prev:  # a parameter of a tensor: its numbered elements are one group
            numbered = _NUMBERED.fullmatch(label)
            return numbered['name'] if numbered else label
        return label
    if not node._prev:  # an input or a constant: named after the labelled node that reads it
        user = first_use.get(id(node))
        if user is not None and user.label:
            return f'inputs of {_key(user, first_use, keys)}'
        return 'constants'
    return f'({node._op} of {", ".join(sorted({keys[id(p)] for p in node._prev}))})'


def collapsed(root: Any) -> _Collapsed:
    """The graph of ``root`` with the nodes that repeat one computation (over positions, time steps, a
    tensor's elements) drawn once: ``draw_dot(collapsed(loss))``. Returns the stand-in for ``root``."""
    check_node('collapsed(root)', root)
    nodes, edges = trace(root)
    first_use: dict[int, Any] = {}
    for parent, child in edges:
        first_use.setdefault(id(parent), child)
    keys: dict[int, str] = {}
    for node in nodes:  # inputs before results, so a formula's parents have their keys
        keys[id(node)] = _key(node, first_use, keys)
    groups: dict[str, list[Any]] = {}
    for node in nodes:
        groups.setdefault(keys[id(node)], []).append(node)
    drawn = {key: _Collapsed(members, _shown_label(key, members), members[0]._op)
             for key, members in groups.items()}
    for key, stand_in in drawn.items():
        parents: dict[str, None] = {}
        for member in groups[key]:
            for parent in member._prev:
                if keys[id(parent)] != key:
                    parents.setdefault(keys[id(parent)])
        stand_in._prev = tuple(drawn[p] for p in parents)
    return drawn[keys[id(root)]]


def _shown_label(key: str, members: list[Any]) -> str:
    """What a group's box says: its name, how many nodes it stands for, and which one's numbers it shows."""
    if len(members) == 1:
        return members[0].label or ''
    shown = max(members, key=lambda n: abs(n.grad) if math.isfinite(n.grad) else math.inf)
    placed = split_place(shown.label) if shown.label else None
    which = f'[{placed[1]}]' if placed else shown.label[len(key):] if shown.label.startswith(key) else ''
    return f'{key} x {len(members)}' + (f' (shown: {which})' if which else '')
