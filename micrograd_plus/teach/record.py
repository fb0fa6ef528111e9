"""What backward() leaves for explain(): the output of the last lecture-sized backward().

``import micrograd_plus`` loads this module, which registers with the engine (micrograd_plus.listeners) without
the engine knowing the teaching layer exists: backward() hands each walk to ``LAST_BACKWARD``, and
``Value.explain()`` runs ``teach.explain.explain``, loaded the first time it is asked for.
"""
from __future__ import annotations

from typing import Any

from .. import listeners

__all__ = ['LAST_BACKWARD', 'BackwardRecord']


class BackwardRecord:
    """The output of the last backward(), kept so that explain(node) can find the nodes that consumed
    ``node`` without being told the root: only while its graph is lecture-sized, so a training step's
    graph is never kept alive by this record (it is freed the moment its last user lets go, as always)."""
    KEEP_UP_TO = 1000      # inner nodes
    KEEP_EDGES_UP_TO = 10_000  # inputs of those nodes: one dot() over a million inputs is not lecture-sized

    def __init__(self) -> None:
        self.output: Any = None  # the output of the last backward() when kept, else None
        self.inner_nodes = 0  # how big its graph was, so explain() can say why it kept nothing
        self.edges = 0

    def _remember(self, output: Any, inner: list[Any]) -> None:
        """backward()'s hook (listeners.after_backward): keep ``output`` if its graph is lecture-sized."""
        self.inner_nodes = len(inner)
        self.edges = sum(len(node._prev) for node in inner) if len(inner) <= self.KEEP_UP_TO else -1
        small = 0 <= self.edges <= self.KEEP_EDGES_UP_TO
        self.output = output if small else None


LAST_BACKWARD = BackwardRecord()


def _explain(node: Any, root: Any = None) -> str:
    from .explain import explain  # loaded when first asked for: it brings the rule renderer
    return explain(node, root)


listeners.after_backward = LAST_BACKWARD._remember
listeners.explainer = _explain
