"""draw_network(): a network as a room can read it, neurons as circles and weights as edges.

draw_dot shows every number of a computation graph; for a 2-16-16-1 network that is hundreds of boxes.
This picture shows the network instead: one column of circles per layer, one edge per weight (its width
the weight's size, red for positive and blue for negative, or the same for its grad), and, given a
sample, every neuron's activation written in its circle.

It reads the model by duck typing, as micrograd's own classes look: a model has ``layers``, a layer has
``neurons``, a neuron has ``w`` and ``b`` (and ``activation``, or micrograd's ``nonlin``); activation
modules between layers (ReLU, Tanh, Sigmoid) and Dropout (drawn as it acts in eval mode) are understood.
So karpathy/micrograd's MLP draws too.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import graphviz

from .. import checks
from ..activations import ACTIVATIONS
from .graph import GRAPH_ATTR, NEGATIVE_RGB, POSITIVE_RGB, NumberFormat, mix, number_formatter
from .render import Digraph, check_format

__all__ = ['Column', 'dense_columns', 'draw_network']

MAX_NEURONS = 400  # beyond this a picture of every weight is a grey blur: draw part of the model instead
MAX_EDGES = 5000  # and beyond this many weights: 400 neurons in two columns are 40,000 edges, 94 s of layout

# an activation layer between dense layers, by its class name (nn's ReLU(), micrograd-like code's too)
_ACTIVATION_MODULES = {entry.shown.lower(): entry.name for entry in ACTIVATIONS.values() if entry.apply is not None}


class Column(NamedTuple):
    """One dense layer of the picture: its module name, its neurons' (weights, bias), their activation."""
    name: str
    neurons: list[tuple[list[Any], Any]]
    activation: str
    notes: tuple[str, ...] = ()


def draw_network(model: Any, x: Sequence[Any] | None = None, *, edges: str = 'weight', format: str = 'svg',
                 number_format: NumberFormat = '.2f', max_neurons: int | None = MAX_NEURONS,
                 max_edges: int | None = MAX_EDGES, graph_attr: dict[str, str] | None = None) -> Digraph:
    """A picture of ``model``: inputs and neurons as circles in columns, weights as edges.

    - ``edges='weight'`` draws each weight's size as the edge's width and its sign as its colour (red
      positive, blue negative); ``edges='grad'`` does the same with each weight's grad (after backward()).
    - ``x``: one sample; each neuron's activation for it (as in eval mode) is written in its circle and
      fills it, red for positive and blue for negative.
    - ``max_neurons``: refuse bigger models (None: no limit), whose every weight would be a grey blur.
    - ``max_edges``: refuse models with more weights than this (None: no limit): Graphviz's layout time grows
      with the edges (40,000 take minutes).
    - ``graph_attr``: Graphviz graph attributes that win over these (e.g. ``{'dpi': '150'}`` for a PNG).
    """
    columns = dense_columns(model)
    sample = None if x is None else _sample(x)
    if edges not in ('weight', 'grad'):
        raise ValueError(f"edges must be 'weight' or 'grad', got {checks.shown(edges)}")
    format = check_format('draw_network(format=...)', format)
    fmt = number_formatter(number_format)
    if max_neurons is not None:
        max_neurons = checks.count('draw_network(max_neurons=...) (or None)', max_neurons, at_most=None)
    if max_edges is not None:
        max_edges = checks.count('draw_network(max_edges=...) (or None)', max_edges, at_most=None)
    if graph_attr is not None:
        graph_attr = checks.text_mapping('draw_network(graph_attr=...)', graph_attr, GRAPH_ATTR)
    width = len(columns[0].neurons[0][0])
    total = width + sum(len(column.neurons) for column in columns)
    if max_neurons is not None and total > max_neurons:
        raise ValueError(f'this network has {total:,} neurons and inputs, more than max_neurons={max_neurons:,}: '
                         'a picture of every weight would be unreadable. Draw a smaller model, or pass max_neurons')
    weights = sum(len(ws) for column in columns for ws, _ in column.neurons)
    if max_edges is not None and weights > max_edges:
        raise ValueError(f'this network has {weights:,} weights, so {weights:,} edges, more than max_edges='
                         f'{max_edges:,}: a picture of every weight would be unreadable and take minutes to lay out. '
                         'Draw a smaller model, or pass max_edges (None: no limit)')
    values = None if sample is None else _activations(columns, sample, width)
    # circles as wide as the longest number they hold ('-0.7859' with number_format='.4f')
    longest = max((len(fmt(v)) for layer in values for v in layer), default=0) if values else 0
    diameter = f'{max(0.62, 0.1 * longest + 0.12):.2f}'

    graph = Digraph(format=format, graph_attr={
        # mclimit: the neurons stay in index order (crossing minimisation would rotate each column)
        'rankdir': 'LR', 'splines': 'line', 'nodesep': '0.12', 'ranksep': '2.2', 'outputorder': 'edgesfirst',
        'mclimit': '0.01',
        'fontname': 'Helvetica', 'labelloc': 'b', 'fontsize': '12', 'fontcolor': '#475569'},
        node_attr={'shape': 'circle', 'fixedsize': 'true', 'width': diameter, 'fontname': 'Helvetica',
                   'fontsize': '12', 'style': 'filled', 'fillcolor': 'white', 'color': '#334155'},
        edge_attr={'arrowhead': 'none'})
    strengths = [abs(_edge_number(w, edges)) for column in columns for ws, _ in column.neurons for w in ws]
    scale = max((s for s in strengths if math.isfinite(s)), default=0.0)
    legend = [f"edges: {'weights' if edges == 'weight' else 'grads of the weights'}, red positive, blue negative, "
              f"width by size (largest {fmt(scale)})"]
    if values is not None:
        legend.append(f"circles: each neuron's activation for x = [{', '.join(fmt(v) for v in values[0])}] "
                      '(as in eval mode)')
    graph.attr(label=r'\n'.join(legend))
    if graph_attr:
        graph.attr(**graph_attr)

    known = _parameter_names(model)
    names = [f'x{i}' for i in range(width)]
    _column(graph, 'inputs', f'inputs\n{width}', [
        (name, name if values is None else f'{name}\n{fmt(values[0][i])}', 'input ' + name, '#dbeafe')
        for i, name in enumerate(names)])
    for k, column in enumerate(columns, 1):
        nodes = []
        for j, (_, b) in enumerate(column.neurons):
            value = None if values is None else values[k][j]
            bias = known.get(id(b), f'{column.name}.neurons.{j}.b')
            tip = f'{bias} = {fmt(_number(b))}' + ('' if value is None else f', y = {fmt(value)}')
            nodes.append((f'{column.name}.{j}', '' if value is None else fmt(value), tip,
                          'white' if value is None else _fill(value, 1.0)))
        notes = ''.join(f', {note}' for note in column.notes)
        _column(graph, column.name, f'{column.name}\n{len(column.neurons)} {column.activation}{notes}', nodes)
        previous = names
        names = [node[0] for node in nodes]
        for j, (ws, _) in enumerate(column.neurons):
            for i, w in enumerate(ws):
                number = _edge_number(w, edges)
                graph.edge(previous[i], names[j], color=_stroke(number, scale), penwidth=_width(number, scale),
                           tooltip=f"{known.get(id(w), f'{column.name}.neurons.{j}.w.{i}')} = {fmt(_number(w))}")
    return graph


def _parameter_names(model: Any) -> dict[int, str]:
    """Each parameter's name by id, from the model's named_parameters() (micrograd's MLP has none: {})."""
    named = getattr(model, 'named_parameters', None)
    return {id(p): name for name, p in named()} if callable(named) else {}


def dense_columns(model: Any) -> list[Column]:
    """The model as dense layers, by duck typing: an MLP or Sequential (``layers``), a Layer
    (``neurons``) or a Neuron (``w``, ``b``)."""
    if hasattr(model, 'w') and hasattr(model, 'b'):
        return [Column('neuron', [(list(model.w), model.b)], _activation_of(model))]
    if hasattr(model, 'neurons'):
        return [_dense('layer', model)]
    if not hasattr(model, 'layers'):
        raise TypeError(f'draw_network draws a network of dense layers (an MLP, a Sequential of Linear and '
                        f'activation layers, a Layer, a Neuron), got {type(model).__name__}: use draw_dot for '
                        'the graph of anything computed from it')
    columns: list[Column] = []
    for i, layer in enumerate(model.layers):
        kind = type(layer).__name__
        if hasattr(layer, 'neurons'):
            columns.append(_dense(f'layers.{i}', layer))
        elif kind.lower() in _ACTIVATION_MODULES and columns and columns[-1].activation == 'linear':
            columns[-1] = columns[-1]._replace(activation=_ACTIVATION_MODULES[kind.lower()])
        elif kind == 'Dropout' and columns:
            columns[-1] = columns[-1]._replace(notes=(*columns[-1].notes, f'dropout p={layer.p:g}'))
        else:
            raise TypeError(f'draw_network draws dense layers and their activations; layers.{i} is a {kind}. '
                            'Use draw_dot for its graph')
    if not columns:
        raise ValueError(f'{type(model).__name__} has no dense layers to draw')
    return columns


def _dense(name: str, layer: Any) -> Column:
    """A layer of neurons (each with ``w`` and ``b``) as a column."""
    neurons = list(layer.neurons)
    if not neurons:
        raise ValueError(f'{name} has no neurons to draw')
    return Column(name, [(list(neuron.w), neuron.b) for neuron in neurons], _activation_of(neurons[0]))


def _activation_of(neuron: Any) -> str:
    activation = getattr(neuron, 'activation', None)  # ours; micrograd's neurons have nonlin
    if activation is None:
        activation = 'relu' if getattr(neuron, 'nonlin', False) else 'linear'
    return str(activation)


def _number(value: Any) -> float:
    return 0.0 if value is None else float(getattr(value, 'data', value))


def _edge_number(w: Any, edges: str) -> float:
    return float(w.grad) if edges == 'grad' else _number(w)


def _sample(x: Any) -> list[float]:
    """One sample's numbers: a list of numbers or Values (their data)."""
    want = 'None or one sample: a list of numbers (or Values)'
    return [checks.real(f'draw_network(x) at position {i}', getattr(v, 'data', v), finite=False)
            for i, v in enumerate(checks.sequence('draw_network(x)', x, want))]


def _activations(columns: list[Column], sample: list[float], width: int) -> list[list[float]]:
    """Every column's activations for the sample, from the weights' numbers (as in eval mode)."""
    if len(sample) != width:
        raise ValueError(f'the network takes {width} inputs, got a sample of {len(sample)}: {checks.shown(sample)}')
    values = [sample]
    for column in columns:
        activate = ACTIVATIONS.get(column.activation, ACTIVATIONS['linear']).on_float
        values.append([activate(_number(b) + sum(_number(w) * v for w, v in zip(ws, values[-1])))
                       for ws, b in column.neurons])
    return values


def _column(graph: graphviz.Digraph, name: str, title: str, nodes: list[tuple[str, str, str, str]]) -> None:
    """One layer's circles in a titled box, in index order from the top."""
    with graph.subgraph(name=f'cluster_{name}') as box:
        box.attr(label=title, labelloc='t', style='rounded', color='#cbd5e1', fontsize='13', fontcolor='#1e293b')
        for node, label, tip, fill in nodes:
            box.node(node, label=label, tooltip=tip, fillcolor=fill)
        # a flat edge orders its ends, and left to right its tail goes below its head: node 0 on top
        for upper, lower in itertools.pairwise(nodes):
            box.edge(lower[0], upper[0], style='invis', minlen='0')


def _fill(value: float, scale: float) -> str:
    if not math.isfinite(value) or value == 0:
        return 'white'
    return mix(POSITIVE_RGB if value > 0 else NEGATIVE_RGB, 0.15 + 0.55 * min(1.0, abs(value) / scale) ** 0.5)


def _stroke(number: float, scale: float) -> str:
    if not math.isfinite(number) or scale == 0:
        return '#94a3b8'
    return mix(POSITIVE_RGB if number >= 0 else NEGATIVE_RGB, 0.25 + 0.75 * min(1.0, abs(number) / scale))


def _width(number: float, scale: float) -> str:
    strength = min(1.0, abs(number) / scale) if scale and math.isfinite(number) else 0.0
    return f'{0.4 + 3.2 * strength:.2f}'
