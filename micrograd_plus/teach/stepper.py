"""stepper(): one self-contained HTML page that steps through the forward pass, then the backward pass.

The page (``stepper.html`` beside this file, filled in here) holds the graph as inline SVG (drawn by
``viz.to_svg``), the steps as JSON, and a little script: no network, no files beside it, so a teacher
can mail it or open it offline in a lecture hall. Each step highlights one node, fills its value
(forward) or its grad (backward) into the picture, and shows the same formula text as ``explain()``.

The script finds a Value's drawing by its Graphviz ``<title>``: ``node_id(value)`` for the record,
``op_id(value)`` for its op node.
"""
from __future__ import annotations

import html
import importlib.resources
import json
import os
import pathlib
import re
from typing import Any

from ..engine import Value
from ..viz.walk import node_id, op_id
from .explain import Explainer, format_number


def _graph_svg(root: Value, **options: Any) -> str:
    from ..viz import to_svg  # here, not at the top: the engine and explain() need no Graphviz
    return to_svg(root, **options)


def _inline(svg: str) -> str:
    """The ``<svg>`` element alone: an XML declaration or DOCTYPE is not allowed inside HTML."""
    start = svg.find('<svg')
    if start < 0:
        raise ValueError('the graph drawing is not SVG (no <svg> element found)')
    return svg[start:]


def steps(root: Value) -> list[dict[str, Any]]:
    """The forward pass in topological order, then the backward pass in reverse: one dict per step."""
    explainer = Explainer(root)
    if not explainer.backward_has_run():
        name = explainer.name(root)
        raise ValueError(f'the stepper shows the gradients of the last backward(), and {name}.grad is 0: '
                         f'call {name}.backward() before stepper()')
    result = []
    count = len(explainer.order)
    for k, node in enumerate(explainer.order, 1):
        result.append({
            'phase': 'forward', 'node': node_id(node), 'op': op_id(node) if node._op else None,
            'edges': [[node_id(p), op_id(node)] for p in node._prev] +
                     ([[op_id(node), node_id(node)]] if node._op else []),
            'title': f'Forward {k}/{count}: {explainer.name(node)}',
            'formula': explainer.forward(node), 'value': format_number(node.data)})
    for k, node in enumerate(reversed(explainer.order), 1):
        consumers = explainer.consumers[node]
        result.append({
            'phase': 'backward', 'node': node_id(node), 'op': None,
            'edges': [[node_id(node), op_id(c)] for c, _ in consumers] + [[op_id(c), node_id(c)] for c, _ in consumers],
            'title': f'Backward {k}/{count}: {explainer.d(node)}',
            'formula': explainer.backward(node), 'value': format_number(node.grad)})
    return result


def stepper(root: Value, path: str | os.PathLike[str], **svg_options: Any) -> pathlib.Path:
    """Write the backprop stepper page for ``root`` (after ``root.backward()``) to ``path``; returns the path.

    ``svg_options`` go to the drawing (e.g. ``rankdir='TB'``, ``color_by='role'``). In the page: the
    buttons, or the arrow keys (Home/End jump), move one step; ``#step=N`` in the address opens step N.
    """
    if not isinstance(root, Value):
        raise TypeError(f'stepper() takes the output Value, got {type(root).__name__} {root!r}')
    data = {'steps': steps(root)}
    svg = _inline(_graph_svg(root, **svg_options))
    # '<' escaped as \u003c: no '</script>' inside the data can end the script element early
    payload = json.dumps(data).replace('<', '\\u003c')
    name = Explainer(root).name(root)
    fill = {'%TITLE%': html.escape(f'Backprop stepper: {name}'), '%SVG%': svg, '%DATA%': payload}
    template = importlib.resources.files(__package__).joinpath('stepper.html').read_text(encoding='utf-8')
    page = re.sub('%(?:TITLE|SVG|DATA)%', lambda hole: fill[hole.group()], template)  # one pass: no text refilled
    path = pathlib.Path(path)
    path.write_text(page, encoding='utf-8')
    return path
