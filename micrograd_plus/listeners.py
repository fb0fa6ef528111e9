"""What the engine tells the layers above it without importing them: they register here, data flows down.

- ``after_backward(output, inner_nodes)``: called by every ``backward()`` with its walk; the teaching
  layer keeps the last lecture-sized output there, so ``explain(node)`` can find the graph without a root.
- ``explainer(node, root)``: what ``Value.explain()`` runs (``micrograd_plus.explain``).

``import micrograd_plus`` sets both (teach.record); the engine alone runs without them.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

after_backward: Callable[[Any, list[Any]], None] | None = None
explainer: Callable[[Any, Any], str] | None = None


@contextlib.contextmanager
def backward_unseen() -> Iterator[None]:
    """Inside, backward() tells nobody (gradcheck's own backward() leaves what explain() finds as it was)."""
    global after_backward
    kept, after_backward = after_backward, None
    try:
        yield
    finally:
        after_backward = kept


def explain(node: Any, root: Any = None) -> str:
    """``node.explain(root)``: what the teaching layer registered, or an error saying how to load it."""
    if explainer is None:
        raise RuntimeError('explain() is a teaching tool that `import micrograd_plus` loads: import micrograd_plus '
                           'first (the engine alone does not know it)')
    return explainer(node, root)
