"""draw_network(): a network as a room can read it, neurons as circles and weights as edges.

draw_dot shows every number of a computation graph; for a 2-16-16-1 network that is hundreds of boxes.
This picture shows the network instead: one column of circles per layer, one edge per weight (its width
the weight's size, red for positive and blue for negative, or the same for its grad), each layer's biases
as edges from a bias node ``b``, and, given a sample, every neuron's activation written in its circle.
Layers that act on each feature alone are drawn as what they do to the signal: a column of small squares,
one per feature, fed one to one (BatchNorm: normalise and scale; Dropout: zero some in training); a
Residual is its module's columns, then a column of ``+`` fed by them and, along a dashed skip arc, by the
module's input.

It reads the model by duck typing, as micrograd's own classes look: a model has ``layers``, a layer has
``neurons``, a neuron has ``w`` and ``b`` (and ``activation``, or micrograd's ``nonlin``); activation
modules between layers (ReLU, Tanh, Sigmoid), Dropout (``p``), BatchNorm (``weight``, ``bias``,
``running_mean``, ``running_var``, ``eps``) and Residual (``module``) are understood by their class names.
So karpathy/micrograd's MLP draws too.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import graphviz

from .. import checks
from ..activations import ACTIVATIONS
from .graph import GRAPH_ATTR, NEGATIVE_RGB, POSITIVE_RGB, NumberFormat, mix, number_formatter
from .render import Digraph, check_format

__all__ = ['Column', 'dense_columns', 'draw_network']

MAX_NEURONS = 400  # beyond this a picture of every weight is a grey blur: draw part of the model instead
MAX_EDGES = 64  # weights drawn between two columns; a denser layer shows each neuron's strongest few


# an activation layer between dense layers, by its class name (nn's ReLU(), micrograd-like code's too)
_ACTIVATION_MODULES = {entry.shown.lower(): entry.name for entry in ACTIVATIONS.values() if entry.apply is not None}


class Column(NamedTuple):
    """One column of the picture, named by its module: a dense layer (``kind='dense'``: its neurons'
    (weights, bias) and their activation), or a layer acting on each feature alone: ``'batchnorm'``,
    ``'dropout'``, ``'activation'``, or ``'sum'`` (a Residual's x + f(x); ``skip_from`` is the column,
    0 for the inputs, whose output is x)."""
    name: str
    neurons: list[tuple[list[Any], Any]]
    activation: str
    notes: tuple[str, ...] = ()
    kind: str = 'dense'
    module: Any = None
    skip_from: int = 0


def draw_network(model: Any, x: Sequence[Any] | None = None, *, edges: str = 'weight', format: str = 'svg',
                 number_format: NumberFormat = '.2f', max_neurons: int | None = MAX_NEURONS,
                 max_edges: int | None = MAX_EDGES, graph_attr: dict[str, str] | None = None) -> Digraph:
    """A picture of ``model``: inputs and neurons as circles in columns, weights as edges.

    - ``edges='weight'`` draws each weight's size as the edge's width and its sign as its colour (red
      positive, blue negative); ``edges='grad'`` does the same with each weight's grad (after backward()),
      and writes in each neuron's circle dL/dz, the grad of its weighted sum (its bias's grad).
    - ``x``: one sample; each neuron's activation for it (as in eval mode) is written in its circle and
      fills it, red for positive and blue for negative.
    - ``max_edges``: a layer with more weights than this shows each neuron's strongest (by |weight|, or
      |grad|) ``max_edges // neurons`` incoming weights (at least 1), and the picture says how many it hid
      (None: every weight). This also bounds Graphviz's layout time, which grows with the edges (40,000
      take minutes).
    - ``max_neurons``: refuse bigger models (None: no limit), whose every weight would be a grey blur.
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
    widths = _widths(columns)
    total = sum(widths)
    if max_neurons is not None and total > max_neurons:
        raise ValueError(f'this network has {total:,} neurons and inputs, more than max_neurons={max_neurons:,}: '
                         'a picture of every weight would be unreadable. Draw a smaller model, or pass max_neurons')
    values = None if sample is None else _activations(columns, sample, widths[0])
    grads = _neuron_grads(columns) if edges == 'grad' else None
    texts = _circle_texts(columns, widths, values, grads, fmt)
    # circles as wide as the longest number they hold ('-0.7859' with number_format='.4f')
    longest = max((len(line) for column in texts for text in column for line in text.split('\n')), default=0)
    diameter = f'{max(0.62, 0.1 * longest + 0.12):.2f}'

    graph = Digraph(format=format, graph_attr={
        # mclimit: the neurons stay in index order (crossing minimisation would rotate each column)
        # ranksep: a layer acting on each feature alone stands close; a dense layer's edges span two (minlen)
        'rankdir': 'LR', 'splines': 'line', 'nodesep': '0.12', 'ranksep': '1.1', 'outputorder': 'edgesfirst',
        'mclimit': '0.01',
        'fontname': 'Helvetica', 'labelloc': 'b', 'fontsize': '14', 'fontcolor': '#475569'},
        node_attr={'shape': 'circle', 'fixedsize': 'true', 'width': diameter, 'fontname': 'Helvetica',
                   'fontsize': '12', 'style': 'filled', 'fillcolor': 'white', 'color': '#334155'},
        edge_attr={'arrowhead': 'none'})
    strengths = [abs(_edge_number(w, edges)) for column in columns for ws, b in column.neurons
                 for w in [*ws, *([b] if b is not None else [])]]
    scale = max((s for s in strengths if math.isfinite(s)), default=0.0)
    legend = [f"edges: {'weights' if edges == 'weight' else 'grads of the weights'}, red positive, blue negative, "
              f"width by size (largest {fmt(scale)})" + ("; from b: each neuron's bias" if any(
                  b is not None for column in columns for _, b in column.neurons) else '')]
    if values is not None:
        legend.append(f"circles: each neuron's activation for x = [{', '.join(fmt(v) for v in values[0])}] "
                      '(as in eval mode)' + (', then dL/dz' if grads is not None else ''))
    elif grads is not None:
        legend.append("circles: dL/dz, the grad of each neuron's weighted sum z (its bias's grad)")
    known = _parameter_names(model)
    hidden = _draw_columns(graph, columns, widths, values, grads, texts, edges, scale, fmt, max_edges, known)
    if hidden:
        shown = sum(len(ws) for column in columns for ws, _ in column.neurons) - hidden
        legend.append(f'{hidden:,} weakest weights hidden, {shown:,} drawn: each neuron of a layer with more than '
                      f'{max_edges} weights keeps its strongest (max_edges=None draws all)')
    graph.attr(label=r'\n'.join(legend))
    if graph_attr:
        graph.attr(**graph_attr)
    return graph


def _draw_columns(graph: graphviz.Digraph, columns: list[Column], widths: list[int], values: list[list[float]] | None,
                  grads: list[list[float | None]] | None, texts: list[list[str]], edges: str, scale: float,
                  fmt: Callable[[float], str], max_edges: int | None, known: dict[int, str]) -> int:
    """Every column, its edges and its bias node; the number of weights hidden by thinning."""
    grad_scale = max((abs(g) for row in grads or [] for g in row if g is not None and math.isfinite(g)), default=0.0)
    names = [[f'x{i}' for i in range(widths[0])]]
    inputs: list[tuple[str, str, str, str, dict[str, str]]] = [
        (name, texts[0][i], 'input ' + name, '#dbeafe', {}) for i, name in enumerate(names[0])]
    _column(graph, 'inputs', f'inputs\n{widths[0]}', inputs + _bias_node(columns, 0))
    hidden = 0
    for k, column in enumerate(columns, 1):
        previous = names[-1]
        nodes = [(f'{column.name}.{j}', texts[k][j], _tip(column, j, None if values is None else values[k][j], fmt),
                  _circle_fill(column, values[k][j] if values is not None else
                               grads[k - 1][j] if grads is not None and column.kind == 'dense' else None,
                               1.0 if values is not None else grad_scale), _look(column))
                 for j in range(widths[k])]
        _column(graph, column.name, _title(column, widths[k], max_edges), nodes + _bias_node(columns, k))
        names.append([node[0] for node in nodes])
        if column.kind != 'dense':
            for a, b in zip(previous, names[-1]):
                graph.edge(a, b, color='#94a3b8', penwidth='1.2')
            if column.kind == 'sum':
                for a, b in zip(names[column.skip_from], names[-1]):  # the skip: x itself, around the module
                    graph.edge(a, b, color='#475569', style='dashed', penwidth='1.6', constraint='false',
                               tooltip=f'{column.name}: skip connection, x added to f(x)')
            continue
        keep = _kept(column, edges, max_edges)
        for j, (ws, _) in enumerate(column.neurons):
            for i in keep[j]:
                number = _edge_number(ws[i], edges)
                graph.edge(previous[i], names[-1][j], color=_stroke(number, scale), penwidth=_width(number, scale),
                           minlen='2', tooltip=f"{known.get(id(ws[i]), f'{column.name}.neurons.{j}.w.{i}')} = "
                                                   f'{fmt(_number(ws[i]))}')
            hidden += len(ws) - len(keep[j])
        _bias(graph, column, names[-1], edges, scale, fmt, known)
    return hidden


def _kept(column: Column, edges: str, max_edges: int | None) -> list[list[int]]:
    """The inputs each neuron's edges are drawn from: all, or the strongest when the layer is too dense."""
    count = sum(len(ws) for ws, _ in column.neurons)
    if max_edges is None or count <= max_edges:
        return [list(range(len(ws))) for ws, _ in column.neurons]
    per_neuron = max(1, max_edges // len(column.neurons))

    def strength(w: Any) -> float:
        number = abs(_edge_number(w, edges))
        return number if math.isfinite(number) else math.inf
    return [sorted(sorted(range(len(ws)), key=lambda i: -strength(ws[i]))[:per_neuron]) for ws, _ in column.neurons]


def _bias_node(columns: list[Column], k: int) -> list[tuple[str, str, str, str, dict[str, str]]]:
    """The node ``b`` at the foot of column k (0: the inputs) whose edges are the next column's biases, if it has."""
    following = columns[k] if k < len(columns) else None
    if following is None or following.kind != 'dense' or all(b is None for _, b in following.neurons):
        return []
    return [(f'{following.name}.bias', 'b', f'the biases of {following.name}: one edge to each neuron', '#f1f5f9',
             {'width': '0.4', 'color': '#94a3b8', 'fontcolor': '#475569'})]


def _bias(graph: graphviz.Digraph, column: Column, names: list[str], edges: str, scale: float,
          fmt: Callable[[float], str], known: dict[int, str]) -> None:
    """The edges from the node ``b`` (see _bias_node) to each neuron: its bias (or the bias's grad)."""
    biases = [(j, b) for j, (_, b) in enumerate(column.neurons) if b is not None]
    node = f'{column.name}.bias'
    for j, b in biases:
        number = _edge_number(b, edges)
        graph.edge(node, names[j], color=_stroke(number, scale), penwidth=_width(number, scale), style='dashed',
                   minlen='2', tooltip=f"{known.get(id(b), f'{column.name}.neurons.{j}.b')} = {fmt(_number(b))}")


def _look(column: Column) -> dict[str, str]:
    """How a column's nodes look: circles for neurons, small squares for what acts on each feature alone."""
    if column.kind == 'dense':
        return {}
    return {'shape': 'square', 'width': '0.42', 'fontsize': '12', 'color': '#64748b',
            'style': 'filled,dashed' if column.kind == 'dropout' else 'filled', 'fillcolor': '#f8fafc'}


def _title(column: Column, width: int, max_edges: int | None) -> str:
    notes = ''.join(f', {note}' for note in column.notes)
    if column.kind == 'dense':
        keep = _kept(column, 'weight', max_edges)
        inputs = len(column.neurons[0][0])
        if len(keep[0]) < inputs:
            notes += f'\n{len(keep[0])} strongest of {inputs} inputs drawn'
        return f'{column.name}\n{width} {column.activation}{notes}'
    if column.kind == 'batchnorm':
        return f'{column.name} BatchNorm\n(x - mean) / std * gamma + beta'
    if column.kind == 'dropout':
        return f'{column.name} Dropout p={column.module.p:g}\ntraining: zeroed with p, kept x 1/(1-p)'
    if column.kind == 'sum':
        return f'{column.name} Residual\nx + f(x)'
    return f'{column.name}\n{column.activation}'


def _tip(column: Column, j: int, value: float | None, fmt: Callable[[float], str]) -> str:
    if column.kind == 'dense':
        b = column.neurons[j][1]
        tip = f'{column.name}.neurons.{j}: b = {fmt(_number(b))}'
    elif column.kind == 'batchnorm':
        bn = column.module
        tip = (f'{column.name}.{j}: gamma = {fmt(_number(bn.weight[j]))}, beta = {fmt(_number(bn.bias[j]))}, '
               f'running mean {fmt(bn.running_mean[j])}, running var {fmt(bn.running_var[j])}')
    else:
        tip = f'{column.name}.{j}'
    return tip + ('' if value is None else f', y = {fmt(value)}')


def _circle_fill(column: Column, number: float | None, scale: float) -> str:
    """A neuron filled by its activation (or dL/dz), red positive, blue negative; other columns stay light."""
    if number is None or column.kind != 'dense' or scale == 0:
        return 'white' if column.kind == 'dense' else '#f8fafc'
    return _fill(number, scale)


def _circle_texts(columns: list[Column], widths: list[int], values: list[list[float]] | None,
                  grads: list[list[float | None]] | None, fmt: Callable[[float], str]) -> list[list[str]]:
    """What each circle says: nothing, the activation for x, dL/dz, or both (one a line)."""
    texts = [[f'x{i}' if values is None else f'x{i}\n{fmt(values[0][i])}' for i in range(widths[0])]]
    for k, column in enumerate(columns, 1):
        row = []
        for j in range(widths[k]):
            lines = [] if values is None else [fmt(values[k][j])]
            grad = grads[k - 1][j] if grads is not None and column.kind == 'dense' else None
            if grad is not None:
                lines.append(fmt(grad))
            if column.kind == 'sum' and not lines:
                lines = ['+']
            row.append('\n'.join(lines))
        texts.append(row)
    return texts


def _neuron_grads(columns: list[Column]) -> list[list[float | None]]:
    """dL/dz of each dense neuron, read from its bias's grad (None where it has no bias or is no neuron)."""
    return [[(float(b.grad) if b is not None and hasattr(b, 'grad') else None) for _, b in column.neurons]
            if column.kind == 'dense' else [] for column in columns]


def _widths(columns: list[Column]) -> list[int]:
    """How many circles each column has, the inputs first."""
    first = columns[0]
    if first.kind == 'dense':
        inputs = len(first.neurons[0][0])
    elif first.kind == 'batchnorm':
        inputs = len(first.module.weight)
    else:
        raise ValueError(f'draw_network cannot tell how many inputs the model takes from its first layer, '
                         f'{first.name} ({first.kind}): start it with a dense layer or a BatchNorm')
    widths = [inputs]
    for column in columns:
        widths.append(len(column.neurons) if column.kind == 'dense' else widths[-1])
    return widths


def dense_columns(model: Any) -> list[Column]:
    """The model as columns, by duck typing: an MLP or Sequential (``layers``), a Layer (``neurons``) or a
    Neuron (``w``, ``b``); inside a Sequential, activations, BatchNorm, Dropout and Residual too."""
    if hasattr(model, 'w') and hasattr(model, 'b'):
        return [Column('neuron', [(list(model.w), model.b)], _activation_of(model))]
    if hasattr(model, 'neurons'):
        return [_dense('layer', model)]
    if not hasattr(model, 'layers'):
        raise TypeError(f'draw_network draws a network of dense layers (an MLP, a Sequential of Linear and '
                        f'activation layers, a Layer, a Neuron), got {type(model).__name__}: use draw_dot for '
                        'the graph of anything computed from it')
    columns: list[Column] = []
    _add_layers(columns, model.layers, 'layers')
    if not any(column.kind == 'dense' for column in columns):
        raise ValueError(f'{type(model).__name__} has no dense layers to draw')
    return columns


def _add_layers(columns: list[Column], layers: Sequence[Any], prefix: str) -> None:
    for i, layer in enumerate(layers):
        _add_layer(columns, layer, f'{prefix}.{i}')


def _add_layer(columns: list[Column], layer: Any, name: str) -> None:
    """Append the column(s) of one layer of a Sequential (or of a Residual's module)."""
    kind = type(layer).__name__
    if hasattr(layer, 'neurons'):
        columns.append(_dense(name, layer))
    elif hasattr(layer, 'w') and hasattr(layer, 'b'):
        columns.append(Column(name, [(list(layer.w), layer.b)], _activation_of(layer)))
    elif kind.lower() in _ACTIVATION_MODULES:
        activation = _ACTIVATION_MODULES[kind.lower()]
        if columns and columns[-1].kind == 'dense' and columns[-1].activation == 'linear':
            columns[-1] = columns[-1]._replace(activation=activation)
        else:
            columns.append(Column(name, [], activation, kind='activation'))
    elif kind == 'Dropout':
        columns.append(Column(name, [], 'linear', kind='dropout', module=layer))
    elif kind == 'BatchNorm':
        columns.append(Column(name, [], 'linear', kind='batchnorm', module=layer))
    elif kind == 'Residual':
        start = len(columns)
        inner = layer.module
        if hasattr(inner, 'layers'):
            _add_layers(columns, inner.layers, f'{name}.module.layers')
        else:
            _add_layer(columns, inner, f'{name}.module')
        if len(columns) == start:
            raise TypeError(f'{name} is a Residual around a {type(inner).__name__}, which draw_network cannot draw. '
                            'Use draw_dot for its graph')
        columns.append(Column(name, [], 'linear', kind='sum', module=layer, skip_from=start))
    elif hasattr(layer, 'layers'):
        _add_layers(columns, layer.layers, f'{name}.layers')
    else:
        raise TypeError(f'draw_network draws dense layers, their activations, BatchNorm, Dropout and Residual; '
                        f'{name} is a {kind}. Use draw_dot for its graph')


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
        last = values[-1]
        if column.kind == 'dense':
            values.append([activate(_number(b) + sum(_number(w) * v for w, v in zip(ws, last)))
                           for ws, b in column.neurons])
        elif column.kind == 'batchnorm':
            bn = column.module
            values.append([_number(g) * (v - m) / math.sqrt(var + bn.eps) + _number(beta) for v, g, beta, m, var
                           in zip(last, bn.weight, bn.bias, bn.running_mean, bn.running_var)])
        elif column.kind == 'sum':
            values.append([x + fx for x, fx in zip(values[column.skip_from], last)])
        else:  # an activation; dropout passes everything in eval mode
            values.append([activate(v) for v in last])
    return values


def _column(graph: graphviz.Digraph, name: str, title: str,
            nodes: list[tuple[str, str, str, str, dict[str, str]]]) -> None:
    """One layer's circles in a titled box, in index order from the top."""
    with graph.subgraph(name=f'cluster_{name}') as box:
        box.attr(label=title, labelloc='t', style='rounded', color='#cbd5e1', fontsize='14', fontcolor='#1e293b')
        for node, label, tip, fill, look in nodes:
            box.node(node, label=label, tooltip=tip, **{'fillcolor': fill, **look})
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


def _parameter_names(model: Any) -> dict[int, str]:
    """Each parameter's name by id, from the model's named_parameters() (micrograd's MLP has none: {})."""
    named = getattr(model, 'named_parameters', None)
    return {id(p): name for name, p in named()} if callable(named) else {}
