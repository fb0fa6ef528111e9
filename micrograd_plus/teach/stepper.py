"""stepper(): one self-contained HTML page that steps through the forward pass, then the backward pass.

The page (``stepper.html`` beside this file, filled in here) holds the graph as inline SVG (drawn by
``viz.to_svg``), the steps as JSON, and a little script: no network, no files beside it, so a teacher
can mail it or open it offline in a lecture hall. Each step highlights one node, fills its value
(forward) or its grad (backward) into the picture, and shows the same formula text as ``explain()``.

The script finds a Value's drawing by its Graphviz ``<title>``: ``node_id(value)`` for the record,
``op_id(value)`` for its op node.
"""
from __future__ import annotations

import heapq
import html
import importlib.resources
import json
import os
import pathlib
import re
from typing import Any, overload

from .. import checks
from ..engine import Value
from ..viz.walk import node_id, op_id, trace
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

    ``order='topological'`` goes as a person computes: sample 0 first, each node right after its inputs,
    inputs in argument order (x1*w1 before x2*w2); backward from the output, one sample at a time, each
    parameter once every sample has passed its grad on. ``'layer'`` goes level by level (every sample's z
    of the first layer, then their activations, ...). Leaves are not stepped forward (their numbers are
    given, not computed), and constants (unlabelled leaves) not backward; ``leaves=True`` steps through
    every node. Each step says which ``sample`` of a model it belongs to (None: shared, like a weight).
    """
    if not isinstance(root, Value):
        raise TypeError(f'steps() takes the output Value, after its backward(), got {checks.shown(root)}')
    order, leaves = checks.choice('order', order, ORDERS), checks.flag('leaves', leaves)
    explainer = Explainer(root)
    if not explainer.backward_has_run():
        raise ValueError(f'the stepper shows the gradients of the last backward(), and {explainer.root_grad()} is 0: '
                         f'call {explainer.root_backward_call()} before stepper()')
    natural = trace(root)[0]  # argument order, sample 0 first (topological_order visits the last input first)
    sample = _sample_of(explainer, natural)
    forward, backward = _step_order(explainer, natural, sample, order, leaves)
    given_at = _given_grads(explainer, backward)
    names = _unique(explainer, forward, [_title_name(explainer, node) for node in forward])
    result: list[dict[str, Any]] = []
    for k, (node, name) in enumerate(zip(forward, names), 1):
        result.append({
            'phase': 'forward', 'node': node_id(node), 'op': op_id(node) if node._op else None,
            'edges': [[node_id(p), op_id(node)] for p in node._prev] +
                     ([[op_id(node), node_id(node)]] if node._op else []),
            'title': f'Forward {k}/{len(forward)}: {name}', 'sample': sample.get(node),
            'formula': explainer.defined(explainer.forward(node)), 'value': format_number(node.data)})
    names = _unique(explainer, backward, [explainer.d(node) for node in backward])
    for k, (node, name) in enumerate(zip(backward, names), 1):
        consumers = explainer.consumers[node]
        result.append({
            'phase': 'backward', 'node': node_id(node), 'op': None,
            'edges': [[node_id(node), op_id(c)] for c, _ in consumers] + [[op_id(c), node_id(c)] for c, _ in consumers],
            'title': f'Backward {k}/{len(backward)}: {name}', 'sample': sample.get(node),
            'formula': explainer.defined(explainer.backward(node)), 'value': format_number(node.grad),
            'reveals': [node_id(constant) for constant in given_at.get(node, [])]})
    return result


def _title_name(explainer: Explainer, node: Value) -> str:
    """The node's name, and for a made-up one (v12) what it stands for: no name in a title is left bare."""
    name = explainer.name(node)
    if explainer.is_made_up(name):
        return explainer.forward(node).split(' = ')[0] + ' = ' + explainer.forward(node).split(' = ')[1]
    return name


def _unique(explainer: Explainer, nodes: list[Value], names: list[str]) -> list[str]:
    """Titles that never repeat: two constants both named 1.0 say what uses each."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    seen: dict[str, int] = {}
    result = []
    for node, name in zip(nodes, names):
        if counts[name] > 1:
            seen[name] = seen.get(name, 0) + 1
            users = [explainer.name(consumer) for consumer, _ in explainer.consumers[node]]
            name = f'{name} (used by {users[0]})' if len(users) == 1 and len(set(users)) == 1 else \
                f'{name} (the {_ordinal(seen[name])} of {counts[name]} nodes of this name)'
        result.append(name)
    return result


def _ordinal(n: int) -> str:
    return f'{n}{"th" if 10 <= n % 100 < 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")}'


def _sample_of(explainer: Explainer, natural: list[Value]) -> dict[Value, int]:
    """The sample of a model each node belongs to, where it belongs to one: the model's own nodes (their
    label says), what is computed from one sample's nodes alone (its loss term), and the leaves only one
    sample uses (its inputs and targets). Weights, and sums over samples, are shared: not in the dict."""
    if not explainer.sample:
        return {}
    found: dict[Value, set[int]] = {}
    for node in natural:  # inputs first
        own = explainer.sample.get(node)
        found[node] = {own} if own is not None else set().union(*(found[p] for p in node._prev))
    for node in reversed(natural):  # a leaf belongs to the samples that use it
        if not node._prev:
            found[node] = set().union(*(found[c] for c, _ in explainer.consumers[node]))
    return {node: next(iter(samples)) for node, samples in found.items() if len(samples) == 1}


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


def _step_order(explainer: Explainer, natural: list[Value], sample: dict[Value, int], order: str,
                leaves: bool) -> tuple[list[Value], list[Value]]:
    """The nodes the forward and the backward pass step through, in order."""
    if order == 'topological':
        forward = [node for node in natural if node._prev or leaves]
        stepped = {node for node in natural if node._prev or leaves or node.label}
        return forward, [node for node in _backward_order(explainer, natural, sample) if node in stepped]
    everything = explainer.order
    forward = [node for node in everything if node._prev or leaves]
    backward = [node for node in reversed(everything) if node._prev or leaves or node.label]
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


def _backward_order(explainer: Explainer, natural: list[Value], sample: dict[Value, int]) -> list[Value]:
    """Every node after all the nodes that use it (so its grad is complete at its step): among those
    ready, shared nodes first, then the lowest sample, and within it the node computed last."""
    position = {node: k for k, node in enumerate(natural)}
    waiting = {node: len({id(c) for c, _ in explainer.consumers[node]}) for node in natural}
    root = natural[-1]
    ready = [(-1, -position[root], root)]
    result = []
    while ready:
        _, _, node = heapq.heappop(ready)
        result.append(node)
        for parent in dict.fromkeys(node._prev):  # an input used twice waits for this node once
            waiting[parent] -= 1
            if not waiting[parent]:
                heapq.heappush(ready, (sample.get(parent, -1), -position[parent], parent))
    return result


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
def stepper(root: Value, path: None = None, *, order: str = ..., leaves: bool = ..., sample: int | None = ...,
            present: bool = ..., **svg_options: Any) -> StepperPage: ...
@overload
def stepper(root: Value, path: str | os.PathLike[str], *, order: str = ..., leaves: bool = ...,
            sample: int | None = ..., present: bool = ..., **svg_options: Any) -> pathlib.Path: ...
def stepper(root: Value, path: str | os.PathLike[str] | None = None, *, order: str = 'topological',
            leaves: bool = False, sample: int | None = None, present: bool = False,
            **svg_options: Any) -> StepperPage | pathlib.Path:
    """The backprop stepper page for ``root`` (after ``root.backward()``): written to ``path`` (returns the
    path), or, without one, a page that shows inline in a notebook.

    ``order`` and ``leaves`` choose the steps (see ``steps``); ``svg_options`` go to the drawing (e.g.
    ``rankdir='TB'``, ``color_by='role'``). ``sample=i`` opens with sample i of a model's batch in focus:
    the other samples fade and their steps are skipped. ``present=True`` opens in presentation mode, for a
    projector: text of 20 px or more, the picture zoomed to each step, the page never scrolls. In the page:
    the buttons or the arrow keys (Home/End jump) move one step; ``s`` focuses the next sample, ``p``
    switches presentation mode; drag and scroll move and zoom the picture; ``#step=N`` opens step N.
    """
    if not isinstance(root, Value):
        raise TypeError(f'stepper() takes the output Value, got {checks.shown(root)}')
    if path is not None:  # before the work, not after it
        path = checks.path('stepper(path), the file to write,', path)
    present = checks.flag('stepper(present=...)', present)
    checks.choice('order', order, ORDERS), checks.flag('leaves', leaves)  # before the work
    graph = _graph(root, **svg_options)  # refuses a graph too big to draw before any step is built
    all_steps = steps(root, order=order, leaves=leaves)
    where = _sample_of(Explainer(root), trace(root)[0])
    count = len(set(where.values()))
    if sample is not None:
        sample = checks.count('stepper(sample=...), the sample to focus,', sample, at_least=0, at_most=None)
        if sample >= count:
            raise ValueError(f'stepper(sample={sample}): the graph holds {count} samples of a model (numbered from 0)'
                             + ('' if count else ': focus needs a model called on several samples, e.g. '
                                'model.batch(X) or sum(loss(model(x), y) for x, y in ...)'))
    drawn = {name: i for node, i in where.items() for name in (node_id(node), op_id(node))}
    data = {'steps': all_steps, 'samples': drawn, 'count': count, 'focus': sample, 'present': present}
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
