"""Walking a computation graph through the micrograd protocol (``data grad label _prev _op``) only.

So any micrograd-compatible object, karpathy's Value included, can be traced, drawn and stepped through.
Needs no Graphviz: the stepper and the teaching tools use it without loading the drawing code.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from .. import checks, rules
from ..nn.samples import name_samples

__all__ = ['check_node', 'check_nodes', 'constant_name', 'input_names', 'neighbourhood', 'node_id', 'nodes_around',
           'op_id', 'trace']


def check_node(what: str, node: Any) -> Any:
    """``node`` if it is a node of a graph (anything with micrograd's ``data`` and ``_prev``: a Value, karpathy's
    too), else a TypeError saying what ``what`` takes."""
    if not _is_node(node):
        raise TypeError(f'{what} takes a Value (a node of a graph: data, grad, _prev, _op), got {checks.shown(node)}')
    return node


def check_nodes(what: str, nodes: Any, want: str = 'a list of Values') -> list[Any]:
    """``nodes`` (a list, a tuple, any iterable but text and dicts) as a list, if every item is a node of a
    graph (as check_node says), else a TypeError saying what ``what`` takes (``want``)."""
    items = checks.listed(what, nodes, want)
    for i, node in enumerate(items):
        if not _is_node(node):
            raise TypeError(f'{what} must be {want}, got {checks.shown(node)} at position {i}')
    return items


def _is_node(x: Any) -> bool:
    return hasattr(x, '_prev') and hasattr(x, 'data')


def node_id(node: Any) -> str:
    """The name of a Value's record in a drawing (micrograd's ``str(id(n))``): the SVG ``<title>`` the
    stepper page looks the node up by. A stand-in that draw_dot(expand_dot=True) draws for a node carries
    that node's name as its ``drawn_id``."""
    drawn: str | None = getattr(node, 'drawn_id', None)
    return drawn if drawn is not None else str(id(node))


def op_id(node: Any) -> str:
    """The name of the small op node drawn in front of a Value's record: micrograd's ``str(id(n)) + n._op``,
    with any ':' made '_' (in an edge, Graphviz reads 'name:port', which would invent a node), and any '\\' or
    '"' too: in a quoted DOT name a final backslash would escape the closing quote, and the SVG's ``<title>``
    shows a name's backslashes as written, so the name the page looks up has none."""
    if not hasattr(node, '_op'):
        raise TypeError(f'op_id() takes a Value (with an _op), got {checks.shown(node)}')
    return node_id(node) + str(node._op).translate(_NOT_IN_NAMES)


_NOT_IN_NAMES = str.maketrans({':': '_', '\\': '_', '"': '_'})


def trace(root: Any) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """All nodes ``root`` depends on and all edges ``(input, result)``, as micrograd's ``trace``.

    Lists, not sets, so the order is deterministic: nodes inputs-before-results with ``root`` last,
    inputs visited in argument order; edges grouped by result, in argument order. An op that uses
    one input twice (``a*a``) gives two edges. Iterative, so a 1,000,000-node chain is fine. The samples
    a model computed in this graph are numbered in their labels (``nn.samples.name_samples``).
    """
    check_node('trace(root)', root)
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
    name_samples(nodes)  # what a model made for sample i of several reads [i] in every picture
    return nodes, edges


def neighbourhood(root: Any, center: Any, steps: int = 2) -> list[Any]:
    """The nodes of ``root``'s graph at most ``steps`` edges from ``center`` (inputs or uses), in trace order."""
    return nodes_around(*trace(root), root, center, steps)


def nodes_around(nodes: list[Any], edges: list[tuple[Any, Any]], root: Any, center: Any, steps: int) -> list[Any]:
    """neighbourhood() on a graph already traced into ``nodes`` and ``edges`` (draw_dot has them at hand)."""
    steps = checks.count('steps', steps, at_least=0, at_most=None)
    checks.sequence('nodes_around(nodes)', nodes, 'a list of nodes (from trace(root))')
    checks.sequence('nodes_around(edges)', edges, 'a list of (input, result) pairs (from trace(root))')
    neighbours: dict[int, list[Any]] = {id(node): [] for node in nodes}
    if id(center) not in neighbours:
        raise ValueError(f'around={checks.shown(center)} is not part of the graph of {checks.shown(root)}: pass a '
                         'node that root depends on')
    for edge in edges:
        if not (isinstance(edge, (tuple, list)) and len(edge) == 2 and all(id(n) in neighbours for n in edge)):
            raise ValueError(f'nodes_around(edges) takes (input, result) pairs of the nodes given, as trace(root) '
                             f'returns them, got {checks.shown(edge)}')
        parent, child = edge
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


def input_names(nodes: Sequence[Any]) -> dict[int, str]:
    """``id(leaf) -> 'x0', 'x1', ...`` for the unlabelled leaves a neuron reads as its inputs.

    A sample passed as plain numbers (``model([1.0, -2.0, 0.5])``) becomes Values with no label; a picture
    names them by the position where a ``dot`` (``b, w0, x0, w1, x1, ...``) reads them, as draw_network does.
    """
    names: dict[int, str] = {}
    for node in check_nodes('input_names(nodes)', nodes, 'a list of Values (from trace(root))'):
        row = getattr(type(node), 'rule', None)  # the micrograd protocol has no rule: no neuron to read
        if row is None or not row.repeat or 'x' not in row.inputs:
            continue
        inputs = tuple(node._prev)
        for i, group in enumerate(rules.groups(rules.rule_of(row), len(inputs))[1:]):  # (w_i, x_i) after the bias
            x = inputs[group.names['x']]
            if not x.label and not tuple(x._prev):
                names.setdefault(id(x), f'x{i}')
    return names


def constant_name(number: float) -> str:
    """How a picture names an unlabelled leaf that is no input: by its value, as a person writes it (1, 0.5, -3)."""
    return f"{checks.real('constant_name(number)', number, finite=False, nan=True):g}"
