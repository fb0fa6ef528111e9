"""Which sample a node was made for: the ``[3]`` in ``layers.1.neurons.0.z[3]``.

A model names the nodes it makes after its parts (``layers.1.neurons.0.z``). When one graph holds several
samples (``model.batch(X)``, or ``sum((model(x) - y)**2 for x, y in ...)``) those names would repeat, so each
label also remembers which call of the model, and which sample of a batch, made its node. Whatever looks at a
graph (``explain``, the stepper, ``draw_dot``, ``text_view``: they all walk it with ``viz.trace``) numbers the
samples it finds there by ``name_samples``: ``[0]``, ``[1]``, ... in the order the model computed them. A
graph of one sample keeps the plain names, so the lecture's ``n(x)`` reads as it always did. ``model.batch``
knows its samples at once and writes ``[i]`` straight away.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from .. import checks

# what users call; SampleLabel and Samples serve the layer files of this package
__all__ = ['name_samples']

Key = tuple[int, int, int]  # (which model, which call of it, which sample of that call)


class SampleLabel(str):
    """A node's label (a plain str to everyone who reads it) that also knows its ``base`` name (set only
    where the text has a sample number: otherwise the text is the base, see ``base_of``) and the
    ``sample`` key of the call that made it."""
    __slots__ = ('base', 'sample')
    base: str
    sample: Key


class Samples:
    """The calls of one model, shared by all its modules: each outermost call is one sample, and so is each
    sample of a ``batch()``. ``depth`` > 0 while a call is running (calls of its parts are not new samples)."""
    __slots__ = ('calls', 'depth', 'key', 'serial', 'suffix')
    _serials = itertools.count()

    def __init__(self) -> None:
        self.serial = next(Samples._serials)
        self.calls = 0
        self.key: Key = (self.serial, 0, 0)
        self.suffix = ''  # '[i]' while batch() runs sample i of several
        self.depth = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> Samples:
        return Samples()  # a copied model counts its own samples: they are not the original's

    def new_call(self) -> None:
        self.calls += 1
        self.key, self.suffix = (self.serial, self.calls, 0), ''

    def at(self, index: int, size: int) -> None:
        """Sample ``index`` of a batch of ``size`` (its call begun by new_call)."""
        self.key = (self.serial, self.calls, index)
        self.suffix = f'[{index}]' if size > 1 else ''

    def label(self, base: str) -> SampleLabel:
        """The label of a node made for the current sample (a neuron writes the same inline: it runs per node)."""
        if self.suffix:
            label = SampleLabel(base + self.suffix)
            label.base = base
        else:
            label = SampleLabel(base)
        label.sample = self.key
        return label


def base_of(label: SampleLabel) -> str:
    """The name without its sample number."""
    return getattr(label, 'base', None) or str(label)


def name_samples(nodes: Iterable[Any]) -> dict[int, int]:
    """Number the samples in a graph: each node a model made gets ``[i]`` after its name when the nodes
    hold two or more samples of that model (i counts them in the order they were computed), its plain
    name when they hold one. Returns ``{id(node): i}`` for the numbered nodes."""
    made: list[Any] = []
    keys: dict[int, set[Key]] = {}
    for node in checks.listed('name_samples(nodes)', nodes, 'a list of Values (from trace(root))'):
        label = getattr(node, 'label', None)
        if label.__class__ is SampleLabel:
            made.append(node)
            keys.setdefault(label.sample[0], set()).add(label.sample)
    rank: dict[Key, int] = {}
    for found in keys.values():
        if len(found) > 1:
            rank.update((key, i) for i, key in enumerate(sorted(found)))
    numbered: dict[int, int] = {}
    for node in made:
        made_by: SampleLabel = node.label
        i = rank.get(made_by.sample)
        base = base_of(made_by)
        text = base if i is None else f'{base}[{i}]'
        if i is not None:
            numbered[id(node)] = i
        if text != made_by:
            renamed = SampleLabel(text)
            renamed.base, renamed.sample = base, made_by.sample
            node.label = renamed
    return numbered
