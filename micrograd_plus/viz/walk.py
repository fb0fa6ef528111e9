"""Walking a computation graph through the micrograd protocol (``data grad label _prev _op``) only.

So any micrograd-compatible object, karpathy's Value included, can be traced, drawn and stepped through.
Needs no Graphviz: the stepper and the teaching tools use it without loading the drawing code.
"""
from __future__ import annotations

from collections import deque
from typing import Any

__all__ = ['neighbourhood', 'node_id', 'nodes_around', 'op_id', 'trace']


def node_id(node: Any) -> str:
    """The name of a Value's record in a drawing (micrograd's ``str(id(n))``): the SVG ``<title>`` the
    stepper page looks the node up by. A stand-in drawn for a node (viz.graph.DrawnNode) has its name."""
    drawn: str | None = getattr(node, 'drawn_id', None)
    return drawn if drawn is not None else str(id(node))


def op_id(node: Any) -> str:
    """The name of the small op node drawn in front of a Value's record: micrograd's ``str(id(n)) + n._op``,
    with any ':' made '_' (in an edge, Graphviz reads 'name:port', which would invent a node)."""
    return node_id(node) + str(node._op).replace(':', '_')


def trace(root: Any) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """All nodes ``root`` depends on and all edges ``(input, result)``, as micrograd's ``trace``.

    Lists, not sets, so the order is deterministic: nodes inputs-before-results with ``root`` last,
    inputs visited in argument order; edges grouped by result, in argument order. An op that uses
    one input twice (``a*a``) gives two edges. Iterative, so a 1,000,000-node chain is fine.
    """
    nodes: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            nodes.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in reversed(tuple(node._prev)):
            if id(parent) not in seen:
                stack.append((parent, False))
    edges = [(parent, node) for node in nodes for parent in node._prev]
    return nodes, edges


def neighbourhood(root: Any, center: Any, steps: int = 2) -> list[Any]:
    """The nodes of ``root``'s graph at most ``steps`` edges from ``center`` (inputs or uses), in trace order."""
    return nodes_around(*trace(root), root, center, steps)


def nodes_around(nodes: list[Any], edges: list[tuple[Any, Any]], root: Any, center: Any, steps: int) -> list[Any]:
    """neighbourhood() on a graph already traced into ``nodes`` and ``edges`` (draw_dot has them at hand)."""
    if steps < 0:
        raise ValueError(f'steps must be 0 or more, got {steps}')
    neighbours: dict[int, list[Any]] = {id(node): [] for node in nodes}
    if id(center) not in neighbours:
        raise ValueError(f'around={center!r} is not part of the graph of {root!r}: pass a node that root depends on')
    for parent, child in edges:
        neighbours[id(parent)].append(child)
        neighbours[id(child)].append(parent)
    distance = {id(center): 0}
    queue = deque([center])
    while queue:
        node = queue.popleft()
        if distance[id(node)] == steps:
            continue
        for other in neighbours[id(node)]:
            if id(other) not in distance:
                distance[id(other)] = distance[id(node)] + 1
                queue.append(other)
    return [node for node in nodes if id(node) in distance]
