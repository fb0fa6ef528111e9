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
from typing import Any, overload

from .. import checks
from ..engine import Value
from ..viz.walk import node_id, op_id
from .explain import Explainer, format_number


def _graph(root: Value, **options: Any) -> Any:
    """The drawing of ``root`` (a graphviz.Digraph), not rendered yet: draw_dot refuses a graph too big to
    draw in the time it takes to count its nodes, so this comes before the steps are built."""
    from ..viz import draw_dot  # here, not at the top: the engine and explain() need no Graphviz
    options.pop('format', None)
    return draw_dot(root, format='svg', **options)


def _inline(svg: str) -> str:
    """The ``<svg>`` element alone: an XML declaration or DOCTYPE is not allowed inside HTML."""
    start = svg.find('<svg')
    if start < 0:
        raise ValueError('the graph drawing is not SVG (no <svg> element found)')
    return svg[start:]


ORDERS = ('topological', 'layer')


def steps(root: Value, *, order: str = 'topological', leaves: bool = False) -> list[dict[str, Any]]:
    """The forward pass, then the backward pass: one dict per step, with explain()'s text.

    ``order='topological'`` walks the graph as backward() does; ``'layer'`` goes level by level (every
    sample's z of the first layer, then their activations, ...: each node after all its inputs, as
    soon as it can be). Leaves are not stepped forward (their numbers are given, not computed), and
    constants (unlabelled leaves) not backward; ``leaves=True`` steps through every node.
    """
    if not isinstance(root, Value):
        raise TypeError(f'steps() takes the output Value, after its backward(), got {checks.shown(root)}')
    order, leaves = checks.choice('order', order, ORDERS), checks.flag('leaves', leaves)
    explainer = Explainer(root)
    if not explainer.backward_has_run():
        raise ValueError(f'the stepper shows the gradients of the last backward(), and {explainer.root_grad()} is 0: '
                         f'call {explainer.root_backward_call()} before stepper()')
    forward, backward = _step_order(explainer, order, leaves)
    given_at = _given_grads(explainer, backward)
    result: list[dict[str, Any]] = []
    for k, node in enumerate(forward, 1):
        result.append({
            'phase': 'forward', 'node': node_id(node), 'op': op_id(node) if node._op else None,
            'edges': [[node_id(p), op_id(node)] for p in node._prev] +
                     ([[op_id(node), node_id(node)]] if node._op else []),
            'title': f'Forward {k}/{len(forward)}: {explainer.name(node)}',
            'formula': explainer.defined(explainer.forward(node)), 'value': format_number(node.data)})
    for k, node in enumerate(backward, 1):
        consumers = explainer.consumers[node]
        result.append({
            'phase': 'backward', 'node': node_id(node), 'op': None,
            'edges': [[node_id(node), op_id(c)] for c, _ in consumers] + [[op_id(c), node_id(c)] for c, _ in consumers],
            'title': f'Backward {k}/{len(backward)}: {explainer.d(node)}',
            'formula': explainer.defined(explainer.backward(node)), 'value': format_number(node.grad),
            'reveals': [node_id(constant) for constant in given_at.get(node, [])]})
    return result


def _given_grads(explainer: Explainer, backward: list[Value]) -> dict[Value, list[Value]]:
    """The nodes with no backward step of their own (constants), by the step after which their grad is
    known: that of the last node that used them. Until then the page hides it like any other grad."""
    position = {node: k for k, node in enumerate(backward)}
    given: dict[Value, list[Value]] = {}
    for node in explainer.order:
        users = [position[consumer] for consumer, _ in explainer.consumers[node] if consumer in position]
        if node not in position and users:
            given.setdefault(backward[max(users)], []).append(node)
    return given


def _step_order(explainer: Explainer, order: str, leaves: bool) -> tuple[list[Value], list[Value]]:
    """The nodes the forward and the backward pass step through, in order."""
    everything = explainer.order
    forward = [node for node in everything if node._prev or leaves]
    backward = [node for node in reversed(everything) if node._prev or leaves or node.label]
    if order == 'topological':
        return forward, backward
    level: dict[Value, int] = {}
    for node in everything:  # inputs first: a node's level is one more than its deepest input's
        level[node] = 1 + max((level[p] for p in node._prev), default=-1)
    forward = sorted(forward, key=level.__getitem__)  # stable: topological within a level
    inner = [node for node in reversed(forward) if node._prev]
    # a leaf's grad is complete once every node that used it has passed its grad on: step it right then
    position = {node: k for k, node in enumerate(inner)}
    ready = {node: max((position[c] for c, _ in explainer.consumers[node]), default=-1)
             for node in backward if not node._prev}
    backward = sorted(inner + list(ready), key=lambda node: (position[node], 0) if node._prev else (ready[node], 1))
    return forward, backward


class StepperPage:
    """The stepper page: shows inline in Jupyter, VS Code and Colab (an iframe), ``save()``s to a file."""

    def __init__(self, html_text: str, title: str) -> None:
        self.html = checks.text('StepperPage(html_text)', html_text)
        self.title = checks.text('StepperPage(title)', title)

    def save(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = checks.path('save(path)', path)
        path.write_text(self.html, encoding='utf-8')
        return path

    def _repr_html_(self) -> str:
        # sandboxed, scripts only: the page runs in an origin of its own, never with the notebook's
        return (f'<iframe sandbox="allow-scripts" srcdoc="{html.escape(self.html, quote=True)}" '
                f'title="{html.escape(self.title)}" '
                'style="width: 100%; height: 820px; border: 1px solid #e2e8f0; border-radius: 8px"></iframe>')

    def __repr__(self) -> str:
        return f'<{self.title}: {len(self.html):,} characters of HTML; .save(path) writes it>'


@overload
def stepper(root: Value, path: None = None, *, order: str = ..., leaves: bool = ...,
            **svg_options: Any) -> StepperPage: ...
@overload
def stepper(root: Value, path: str | os.PathLike[str], *, order: str = ..., leaves: bool = ...,
            **svg_options: Any) -> pathlib.Path: ...
def stepper(root: Value, path: str | os.PathLike[str] | None = None, *, order: str = 'topological',
            leaves: bool = False, **svg_options: Any) -> StepperPage | pathlib.Path:
    """The backprop stepper page for ``root`` (after ``root.backward()``): written to ``path`` (returns the
    path), or, without one, a page that shows inline in a notebook.

    ``order`` and ``leaves`` choose the steps (see ``steps``); ``svg_options`` go to the drawing (e.g.
    ``rankdir='TB'``, ``color_by='role'``). In the page: the buttons or the arrow keys (Home/End jump) move
    one step; drag and scroll move and zoom the picture; ``#step=N`` in the address opens step N.
    """
    if not isinstance(root, Value):
        raise TypeError(f'stepper() takes the output Value, got {checks.shown(root)}')
    if path is not None:  # before the work, not after it
        path = checks.path('stepper(path), the file to write,', path)
    checks.choice('order', order, ORDERS), checks.flag('leaves', leaves)  # before the work
    graph = _graph(root, **svg_options)
    data = {'steps': steps(root, order=order, leaves=leaves)}
    svg = _inline(graph.pipe(format='svg', encoding='utf-8'))
    # '<' escaped as \u003c: no '</script>' inside the data can end the script element early
    payload = json.dumps(data).replace('<', '\\u003c')
    title = f'Backprop stepper: {root.label or "L"}'
    about = ('Step through the forward pass (each value from its inputs) and then the backward pass (each grad by '
             'the chain rule, from the output back). ' + ('Level by level.' if order == 'layer' else ''))
    fill = {'%TITLE%': html.escape(title), '%ABOUT%': html.escape(about.strip()), '%SVG%': svg, '%DATA%': payload}
    template = importlib.resources.files(__package__).joinpath('stepper.html').read_text(encoding='utf-8')
    page = re.sub('%(?:TITLE|ABOUT|SVG|DATA)%', lambda hole: fill[hole.group()], template)  # one pass: no refill
    result = StepperPage(page, title)
    return result if path is None else result.save(path)
