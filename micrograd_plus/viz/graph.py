"""draw_dot(): a computation graph as Graphviz DOT, the way micrograd's lecture draws it.

Each Value is a record node ``{ label | data 0.7071 | grad 0.5000 }`` named ``node_id(value)``; each
op is a separate small node named ``op_id(value)``; edges run input -> op -> result.
The graph is read through public attributes only (``data grad label _prev _op``), so any
micrograd-compatible object draws.
"""
from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import graphviz

from .. import checks, rules
from ..activations import NODE_OPS
from .render import Digraph, check_format
from .walk import check_node, check_nodes, input_names, node_id, nodes_around, op_id, trace

__all__ = [
    'GraphTooLargeError',
    'draw_dot',
    'neuron_clusters',
    'node_roles',
    'number_formatter',
    'to_svg',
]

NumberFormat = str | Callable[[float], str]

RANKDIRS = ('LR', 'TB', 'RL', 'BT')  # Graphviz's: left to right, top to bottom, ...
GRAPH_ATTR = "None or a dict of Graphviz graph attributes, text to text, like {'dpi': '150'}"

ROLE_COLORS = {'input': '#dbeafe', 'parameter': '#fef3c7', 'output': '#fecaca', 'intermediate': 'white'}
POSITIVE_RGB, NEGATIVE_RGB = (214, 96, 77), (67, 147, 195)  # ColorBrewer RdBu ends: red > 0, blue < 0
NON_FINITE_COLOR = '#e9d5ff'
OP_FILL = '#f1f5f9'

# Without a model, the labels nn gives its parameters say what is one: a neuron's 'layers.0.neurons.3.w.1' and
# 'layers.0.neurons.3.b', BatchNorm's 'layers.1.weight.0' and 'layers.1.bias.0' (the module is what precedes)
_NN_PARAMETER = re.compile(r'^(?P<neuron>.+)\.(?:w\.\d+|b|weight\.\d+|bias\.\d+)$')
# a lone nn Neuron's names (w.0, b) and the lecture's hand-made ones (w1, w2, b)
_LECTURE_PARAMETER = re.compile(r'^(?:w\.\d+|[wb]\d*)$')


class GraphTooLargeError(ValueError):
    """The graph has more nodes than a drawing can show legibly (see draw_dot's ``max_nodes``)."""


# ---------------------------------------------------------------- roles and clusters

def _is_parameter_label(label: str) -> bool:
    return bool(label) and (_NN_PARAMETER.match(label) is not None or _LECTURE_PARAMETER.match(label) is not None)


class _ModelParameters(NamedTuple):
    """What a model says about its parameters, by ``id`` of each Value: its dotted name and the module holding it."""
    names: dict[int, str]    # 'layers.1.weight.0'
    holders: dict[int, str]  # 'layers.1': the innermost module whose name prefixes it ('' for the model itself)


def _model_parameters(what: str, model: Any) -> _ModelParameters:
    """The parameters of ``model`` from ``model.named_parameters()`` (the Values themselves, not their labels)
    and the module each belongs to from ``model.named_modules()``."""
    if not callable(getattr(model, 'named_parameters', None)):
        raise TypeError(f'{what} takes a model with named_parameters() (a micrograd_plus.nn Module), got '
                        f'{checks.shown(model)}; for another model pass parameters=model.parameters()')
    named = list(model.named_parameters())
    check_nodes(f'{what}.named_parameters()', [p for _, p in named], 'pairs (name, Value)')
    modules = sorted((name for name, _ in model.named_modules()), key=len, reverse=True) \
        if callable(getattr(model, 'named_modules', None)) else ['']

    def around(name: str) -> str:  # the innermost module whose dotted name prefixes ``name``
        return next((m for m in modules if m and name.startswith(m + '.')), '')

    return _ModelParameters({id(p): name for name, p in named}, {id(p): around(name) for name, p in named})


def node_roles(nodes: Sequence[Any], root: Any, parameters: Iterable[Any] | None = None, *,
               model: Any = None) -> dict[int, str]:
    """``id(node) -> 'output' | 'parameter' | 'input' | 'intermediate'``.

    Parameters are the leaves in ``parameters`` (e.g. ``model.parameters()``) or in ``model``'s
    ``named_parameters()``; without either, the leaves whose label is a parameter's name as nn gives it
    (``...w.1``, ``...b``, BatchNorm's ``...weight.0``, ``...bias.0``) or as the lecture writes it (``w1``,
    ``b``). Other leaves are inputs (data and constants).
    """
    nodes = check_nodes('node_roles(nodes)', nodes, 'a list of Values (from trace(root))')
    check_node('node_roles(root)', root)
    if parameters is not None and model is not None:
        raise ValueError('node_roles takes parameters= or model=, not both: model= gives the parameters itself')
    explicit = None if parameters is None else {id(p) for p in _parameters('node_roles(parameters)', parameters)}
    if model is not None:
        explicit = set(_model_parameters('node_roles(model=...)', model).names)
    return _roles(nodes, root, explicit)


def _roles(nodes: Sequence[Any], root: Any, explicit: set[int] | None) -> dict[int, str]:
    """node_roles, with the parameters by id (None: by label)."""
    roles = {}
    for node in nodes:
        if node is root:
            role = 'output'
        elif tuple(node._prev):
            role = 'intermediate'
        elif (id(node) in explicit) if explicit is not None else _is_parameter_label(node.label):
            role = 'parameter'
        else:
            role = 'input'
        roles[id(node)] = role
    return roles


def neuron_clusters(nodes: Sequence[Any], *, model: Any = None) -> dict[int, str]:
    """``id(node) -> neuron name`` (e.g. ``'layers.0.neurons.3'``) for the nodes that belong to a neuron of nn
    (or to any module that holds parameters, such as BatchNorm's ``'layers.1'``).

    A parameter belongs to the module that holds it in ``model`` (by ``named_parameters()``), or without a
    model to the one its nn name says; an op joins neuron P when it consumes P's
    parameters (the ``dot`` node) or when all its inputs are P's pre-activation nodes (a chain of
    ``+`` written by hand); an activation (ReLU, tanh, sigmoid) joins when its input is P's
    pre-activation. What comes after the activation (the next layer, the loss) stays outside.
    """
    nodes = check_nodes('neuron_clusters(nodes)', nodes, 'a list of Values (from trace(root))')
    holders = None if model is None else _model_parameters('neuron_clusters(model=...)', model).holders
    return _clusters(nodes, holders)


def _clusters(nodes: Sequence[Any], holders: dict[int, str] | None) -> dict[int, str]:
    """neuron_clusters, with the module holding each parameter by id (None: by label)."""
    cluster: dict[int, str] = {}
    activated: set[int] = set()  # activation outputs: nothing but parameters pulls their users in
    for node in nodes:
        inputs = tuple(node._prev)
        if not inputs:
            if holders is not None:
                if holders.get(id(node)):  # the model's own parameters (held by '') get no box: it would hold all
                    cluster[id(node)] = holders[id(node)]
            elif match := _NN_PARAMETER.match(node.label or ''):
                cluster[id(node)] = match['neuron']
            continue
        owners = {cluster[id(p)] for p in inputs if not tuple(p._prev) and id(p) in cluster}
        if len(owners) == 1:
            cluster[id(node)] = owners.pop()
            continue
        if owners:
            continue
        groups = {cluster.get(id(p)) for p in inputs}
        group = groups.pop() if len(groups) == 1 else None
        if group is not None and not any(id(p) in activated for p in inputs):
            cluster[id(node)] = group
            if node._op in NODE_OPS:
                activated.add(id(node))
    return cluster


def _parameters(what: str, parameters: Iterable[Any]) -> list[Any]:
    return check_nodes(what, parameters, 'None or a list of Values (e.g. model.parameters())')


def _natural(name: str) -> tuple[Any, ...]:
    """A dotted name's sort key, numbers compared as numbers: 'w.2' before 'w.10'."""
    # isdecimal, not isdigit: '²' and '①' are digits to Python but not numbers int() reads
    return tuple((0, int(part), '') if part.isdecimal() else (1, 0, part) for part in name.split('.'))


# ---------------------------------------------------------------- labels and colours

def number_formatter(number_format: NumberFormat) -> Callable[[float], str]:
    """A function float -> str from a format spec ('.4f', '.3g') or such a function, checked now; fixed-point
    formats switch to exponent notation above 1e16, where they would print digits that are not there."""
    if callable(number_format):
        shown = number_format(0.5)  # a function that returns a number would break the picture later
        if not isinstance(shown, str):
            raise TypeError(f'number_format={checks.shown(number_format)} must return text (a str) for a float, like '
                            f"lambda x: f'{{x:.3g}}', but gave {checks.shown(shown)} for 0.5")
        return number_format
    if not isinstance(number_format, str):
        raise TypeError(f"number_format must be a float format spec like '.4f', '.3g' or '.2e', or a function "
                        f'float -> str, got {checks.shown(number_format)}')
    try:
        format(1.5, number_format)
    except (TypeError, ValueError) as error:
        raise ValueError(f"number_format={number_format!r} is not a float format spec like '.4f', '.3g' or "
                         f"'.2e', nor a function float -> str ({error})") from None
    if number_format[-1:] in ('f', 'F'):  # '.4f' would write 1e300 out in 301 digits: '.4e' up there
        wide = number_format[:-1] + ('e' if number_format[-1] == 'f' else 'E')
        return lambda x: format(x, wide) if abs(x) >= FIXED_UP_TO else format(x, number_format)
    if number_format[-1:] == '%':  # '.1%' is fixed-point too, of 100 * x
        wide = number_format[:-1] + 'e'
        return lambda x: format(100 * x, wide) + '%' if abs(x) >= FIXED_UP_TO / 100 else format(x, number_format)
    return lambda x: format(x, number_format)


FIXED_UP_TO = 1e16  # beyond this a fixed-point format prints digits that are not there


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _escape_record(text: str) -> str:
    """Text safe inside a record label, where { } | < > are structure."""
    return _RECORD_SPECIAL.sub(r'\\\1', str(text))


def _escape_text(text: str) -> str:
    return str(text).replace('\\', '\\\\')


def _title(text: str) -> str:
    """User text as a Graphviz title: never an HTML-like ``<...>`` label, backslashes shown as written (a
    final ``\\`` would otherwise escape the closing quote); graphviz's quoting then escapes the quotes."""
    return typing.cast(str, graphviz.escape(str(text)))  # a str that graphviz's quoting knows is not HTML


def _record_label(node: Any, fmt: Callable[[float], str], show_grad: bool = True,
                  label: str | None = None) -> str:
    """``{ label | data 0.7071 | grad 0.5000 }``, the label part only when set (micrograd's layout)."""
    label = node.label if label is None else label
    fields = [_escape_record(label)] if label else []
    fields.append(f'data {_escape_record(fmt(node.data))}')
    if show_grad:
        fields.append(f'grad {_escape_record(fmt(node.grad))}')
    return '{ ' + ' | '.join(fields) + ' }'


def mix(rgb: tuple[int, int, int], amount: float) -> str:
    """White mixed with ``rgb``: 0 is white, 1 is the colour (the shades of the grad and weight colours)."""
    r, g, b = (round(255 + (c - 255) * amount) for c in rgb)
    return f'#{r:02x}{g:02x}{b:02x}'


def _grad_color(grad: float, scale: float) -> str:
    """Red for positive, blue for negative, stronger for larger |grad| relative to ``scale``."""
    if not math.isfinite(grad):
        return NON_FINITE_COLOR
    if grad == 0 or scale == 0:
        return 'white'
    strength = min(1.0, abs(grad) / scale) ** 0.5  # square root: small gradients stay visible
    return mix(POSITIVE_RGB if grad > 0 else NEGATIVE_RGB, 0.12 + 0.73 * strength)


_LEGENDS = {
    'role': 'fill: blue = input, yellow = parameter, red = output',
    'grad': 'fill: red = positive grad, blue = negative grad, stronger = larger |grad| (max {scale})',
}


# ---------------------------------------------------------------- draw_dot

def draw_dot(root: Any, format: str = 'svg', rankdir: str = 'LR', *,
             show_grad: bool = True,
             number_format: NumberFormat = '.4f',
             color_by: str | None = None,
             parameters: Iterable[Any] | None = None,
             model: Any = None,
             clusters: bool = True,
             around: Any = None,
             steps: int = 2,
             max_nodes: int | None = 1000,
             max_uses: int | None = 8,
             expand_dot: bool = False,
             graph_attr: dict[str, str] | None = None) -> Digraph:
    """The computation graph of ``root`` as a graphviz.Digraph, drawn like micrograd's lecture.

    It shows inline in Jupyter and ``.render()``s to a file (SVG and PNG with graphviz-pure, which
    ``pip install micrograd_plus`` brings; other formats with Graphviz's ``dot``). Options for teaching:

    - ``show_grad``: False hides the grad field (e.g. before ``backward()``).
    - ``number_format``: a format spec (``'.4f'``, ``'.3g'``) or a function float -> str.
    - ``color_by``: ``'role'`` fills inputs, parameters and the output; ``'grad'`` fills by the
      sign and size of each grad; None (default) is micrograd's plain look.
    - ``model``: the model ``root`` was computed with: its ``named_parameters()`` say which leaves are
      parameters and which module holds each (the Values themselves, whatever their labels), so any
      Module's parameters (BatchNorm's, a custom Module's) are drawn and boxed as parameters.
    - ``parameters``: which leaves are parameters, as a list (e.g. ``model.parameters()`` of a model without
      ``named_parameters()``). Without ``model`` or ``parameters``, a leaf is a parameter when its label is
      a parameter name as nn gives it (``layers.0.neurons.3.w.1``, ``...b``, BatchNorm's ``...weight.0``,
      ``...bias.0``) or as the lecture writes it (``w1``, ``w2``, ``b``).
    - ``clusters``: box each neuron (the modules of ``model``, or without it nn's names); a layer's boxes
      stand in a column.
    - ``around`` / ``steps``: draw only the nodes within ``steps`` edges of ``around``; nodes with
      inputs or uses left out get a dashed border.
    - ``max_nodes``: refuse graphs bigger than this (None: no limit), with advice on what to draw.
    - ``max_uses``: a leaf used by more ops than this is drawn again beside each use (dashed, and the
      legend says so): one box with a hundred edges takes Graphviz minutes to lay out (None: never).
    - Unlabelled leaves a neuron reads (a sample given as plain numbers) are named ``x0, x1, ...``.
    - ``expand_dot``: draw each ``dot`` node (a neuron's weighted sum, one node here for speed) as the
      lecture's chain of ``*`` and ``+`` nodes, ``b + w0*x0 + w1*x1 ...``, each with its data and grad:
      micrograd's picture of a neuron.

    Layout time stays bounded: graphs of more than LAYOUT_BOUND_OVER nodes get Graphviz's ``nslimit``
    and ``nslimit1`` (how long network simplex may search for the tidiest ranks), unless ``graph_attr``
    sets them; a recurrence unrolled 75 steps then draws in seconds rather than minutes.
    """
    check_node('draw_dot(root)', root)
    format = check_format('draw_dot(format=...)', format)
    rankdir = checks.choice('draw_dot(rankdir=...)', rankdir, RANKDIRS)
    show_grad, clusters, expand_dot = (checks.flag(f'draw_dot({name}=...)', given) for name, given in
                                       (('show_grad', show_grad), ('clusters', clusters), ('expand_dot', expand_dot)))
    if color_by not in (None, 'role', 'grad'):
        raise ValueError(f"color_by must be None, 'role' or 'grad', got {checks.shown(color_by)}")
    fmt = number_formatter(number_format)
    if parameters is not None:
        parameters = _parameters('draw_dot(parameters=...)', parameters)
        if model is not None:
            raise ValueError('draw_dot takes parameters= or model=, not both: model= gives the parameters itself')
    known = None if model is None else _model_parameters('draw_dot(model=...)', model)
    if around is not None:
        check_node('draw_dot(around=...)', around)
    steps = checks.count('draw_dot(steps=...)', steps, at_least=0, at_most=None)
    if max_nodes is not None:
        max_nodes = checks.count('draw_dot(max_nodes=...) (or None)', max_nodes, at_most=None)
    if max_uses is not None:
        max_uses = checks.count('draw_dot(max_uses=...) (or None)', max_uses, at_least=0, at_most=None)
    if graph_attr is not None:
        graph_attr = checks.text_mapping('draw_dot(graph_attr=...)', graph_attr, GRAPH_ATTR)
    inputs = input_names(trace(root)[0])  # a sample given as plain numbers: x0, x1, ... as draw_network names it
    if expand_dot:
        stand_in = _expanded_dots(root)
        inputs = {id(stand_in[key]): name for key, name in inputs.items()}
        root = stand_in[id(root)]
        around = None if around is None else stand_in.get(id(around), around)
        parameters = None if parameters is None else [stand_in.get(id(p), p) for p in parameters]
        if known is not None:  # the model's parameters as the picture has them: by their stand-ins
            known = known._replace(names={id(stand_in[i]): n for i, n in known.names.items() if i in stand_in},
                                   holders={id(stand_in[i]): o for i, o in known.holders.items() if i in stand_in})
    all_nodes, all_edges = trace(root)
    nodes = all_nodes if around is None else nodes_around(all_nodes, all_edges, root, around, steps)
    if max_nodes is not None and len(nodes) > max_nodes:
        raise GraphTooLargeError(_too_large_message(len(nodes), max_nodes, around is not None))
    drawn = {id(node) for node in nodes}
    missing_inputs, missing_uses = _cut_nodes(nodes, all_nodes, drawn) if around is not None else (set(), set())

    explicit = set(known.names) if known is not None else None if parameters is None else {id(p) for p in parameters}
    roles = _roles(nodes, root, explicit)
    grouping = _clusters(all_nodes, None if known is None else known.holders) if clusters else {}
    scale = max((abs(n.grad) for n in nodes if math.isfinite(n.grad)), default=0.0)
    repeated = _much_used_leaves(nodes, drawn, max_uses)

    bound = {'nslimit': '2', 'nslimit1': '2'} if len(nodes) > LAYOUT_BOUND_OVER else {}
    if grouping:  # crossing minimisation would shuffle a neuron's weights out of their index order
        bound['mclimit'] = '0.01'
    spacing, node_attr = layout_spacing(len(nodes))
    graph = Digraph(format=format, graph_attr={'rankdir': rankdir, **spacing, **bound, **(graph_attr or {})},
                    node_attr=node_attr)
    legend = [_LEGENDS[color_by].format(scale=fmt(scale))] if color_by else []
    if around is not None:
        legend.append(f'{steps} step(s) around the bold node; dashed: some inputs (op) or uses (value) not shown')
    if repeated:
        names = ', '.join(sorted({node.label or inputs.get(id(node)) or fmt(node.data)
                                  for node in repeated.values()})[:5])
        legend.append(f'drawn again at each use (dashed): {names}, each used by more than {max_uses} ops')
    if legend:
        graph.attr(label=r'\n'.join(map(_escape_text, legend)), labelloc='b', fontsize=LEGEND_FONTSIZE,
                   fontcolor='#475569')

    def emit(target: graphviz.Digraph, node: Any) -> None:
        if id(node) in repeated:  # drawn beside each use instead, below
            return
        uid = node_id(node)
        attrs = {}
        if color_by == 'role':
            role = roles[id(node)]
            attrs = {'style': 'filled', 'fillcolor': ROLE_COLORS[role]}
            if role == 'output':
                attrs['penwidth'] = '2'
        elif color_by == 'grad':
            attrs = {'style': 'filled', 'fillcolor': _grad_color(node.grad, scale)}
        # a cut shows as a dashed border: on the op when inputs are left out, on the value when uses are
        if id(node) in missing_uses or (id(node) in missing_inputs and not node._op):
            _add_style(attrs, 'dashed')
        if node is around:
            attrs['penwidth'] = '3'
        # inside its neuron's box a node needs only its last name: 'w.1' or 'z', not 'layers.0.neurons.3.w.1'
        neuron = grouping.get(id(node))
        short = node.label[len(neuron) + 1:] if neuron and node.label.startswith(neuron + '.') else None
        label = graphviz.nohtml(_record_label(node, fmt, show_grad, short or inputs.get(id(node))))
        target.node(name=uid, label=label, shape='record', **attrs)
        if node._op:
            op_attrs = {'style': 'filled', 'fillcolor': OP_FILL} if color_by else {}
            if id(node) in missing_inputs:
                _add_style(op_attrs, 'dashed')
            target.node(name=op_id(node), label=_title(node._op), **op_attrs)

    _emit_grouped(graph, nodes, grouping, emit, bottom_up=rankdir in ('LR', 'RL'))
    copies = 0
    for node in nodes:
        if node._op:
            graph.edge(op_id(node), node_id(node))
        for parent in node._prev:
            if id(parent) in repeated:
                copies += 1
                copy = f'{node_id(parent)}#{copies}'
                label = graphviz.nohtml(_record_label(parent, fmt, show_grad, inputs.get(id(parent))))
                graph.node(name=copy, label=label, shape='record', style='dashed')
                graph.edge(copy, op_id(node))
            elif id(parent) in drawn:
                # An edge into a neuron's box from another box spans two ranks, so the box's parameters
                # (one rank before its op) do not share a rank with the previous layer's outputs; that
                # overlap would force the boxes to stack into a staircase instead of standing side by side.
                into_box = grouping.get(id(node)) not in (None, grouping.get(id(parent)))
                graph.edge(node_id(parent), op_id(node), **({'minlen': '2'} if into_box else {}))
    return graph


LAYOUT_BOUND_OVER = 100  # nodes
COMPACT_OVER = 12  # nodes: a bigger graph is drawn with tight rows, so that a screen shows it at a readable size
LEGEND_FONTSIZE = '14'  # the size of the records' text: a legend is read from as far as the numbers are


def layout_spacing(count: int) -> tuple[dict[str, str], dict[str, str]]:
    """Graph and node attributes for a drawing of ``count`` nodes. Graphviz's defaults (records half an inch
    tall, a quarter inch apart) suit the lecture's few nodes; a one-sample MLP(3, [4, 4, 1]) drawn so is
    3401x3315 px and shows 6 px text on a 1080p screen. Tight rows (records one line tall, little space between
    them and between ranks) make it 2695x1225 px: 13 px text (tests/test_viz.py measures it)."""
    if count <= COMPACT_OVER:
        return {}, {}
    return ({'nodesep': '0.08', 'ranksep': '0.25'}, {'height': '0.28', 'margin': '0.04,0.01'})


class _DrawnNode:
    """A node as a drawing shows it (``expand_dot``): the micrograd protocol, and the drawing name of the
    node it stands for, so a Value keeps its name in the picture (the stepper finds it by that)."""
    __slots__ = ('_op', '_prev', 'data', 'drawn_id', 'grad', 'label')

    def __init__(self, data: float, grad: float, label: str, op: str, prev: tuple[Any, ...], drawn_id: str) -> None:
        self.data, self.grad, self.label, self._op, self._prev, self.drawn_id = data, grad, label, op, prev, drawn_id


def _expanded_dots(root: Any) -> dict[int, _DrawnNode]:
    """Stand-ins for the graph of ``root``, by id of the node each stands for, with every n-ary node (a dot,
    inputs bias, w0, x0, w1, x1, ...) written out by its row's decomposition (``rules.groups``), as
    micrograd's Neuron computes it: products w_i*x_i, added to the bias one at a time. Each sum and product
    has the dot node's grad (d sum / d term = 1)."""
    stand_in: dict[int, _DrawnNode] = {}
    for node in trace(root)[0]:  # inputs first
        inputs = tuple(stand_in[id(p)] for p in node._prev)
        row = getattr(type(node), 'rule', None)  # the micrograd protocol has no rule: drawn as it is
        if row is None or not row.repeat or len(inputs) < 3:
            stand_in[id(node)] = _DrawnNode(node.data, node.grad, node.label, node._op, inputs, node_id(node))
            continue
        rule = rules.rule_of(row)
        term = rules.term(rule)
        term_op = term.op if isinstance(term, rules.Bin) else rules.function_name(row)
        join = rule.forward.op if isinstance(rule.forward, rules.Bin) else '+'
        parts = rules.groups(rule, len(inputs))[1:]
        total: _DrawnNode = inputs[0]
        for k, group in enumerate(parts):
            operands = tuple(inputs[p] for p in group.names.values())
            value = rules.evaluate(term, {name: inputs[p].data for name, p in group.names.items()})
            product = _DrawnNode(node.data if value is None else value, node.grad, '', term_op, operands,
                                 f'{node_id(node)}.{k}*')
            last = k == len(parts) - 1
            total = _DrawnNode(node.data if last else total.data + product.data, node.grad, node.label if last else '',
                               join, (total, product), node_id(node) if last else f'{node_id(node)}.{k}+')
        stand_in[id(node)] = total
    return stand_in


def _much_used_leaves(nodes: Sequence[Any], drawn: set[int], max_uses: int | None) -> dict[int, Any]:
    """The leaves used by more than ``max_uses`` drawn ops, by id."""
    if max_uses is None:
        return {}
    uses: dict[int, int] = {}
    for node in nodes:
        for parent in node._prev:
            uses[id(parent)] = uses.get(id(parent), 0) + 1
    return {id(node): node for node in nodes
            if id(node) in drawn and not tuple(node._prev) and uses.get(id(node), 0) > max_uses}


def _add_style(attrs: dict[str, str], style: str) -> None:
    attrs['style'] = f"{attrs['style']},{style}" if attrs.get('style') else style


def _emit_grouped(graph: graphviz.Digraph, nodes: Sequence[Any], grouping: dict[int, str],
                  emit: Callable[[graphviz.Digraph, Any], None], bottom_up: bool = True) -> None:
    """Declare nodes: each neuron's inside its box, the neurons layer by layer (layers.0 first).

    A layer is not boxed itself: an edge from one layer's outputs into the next layer's neurons passes
    through the rank of that layer's weights, and Graphviz keeps such a passing edge out of every box in
    that rank; a box around the whole layer would push the previous layer above or below it (a staircase
    twice as tall as the network), while between the neurons' boxes the edges find room and the layers
    stand side by side, each a column of neurons named layers.<i>.neurons.<j>.
    """
    by_neuron: dict[str, list[Any]] = {}
    loose: list[Any] = []
    for node in nodes:
        neuron = grouping.get(id(node))
        (by_neuron.setdefault(neuron, []) if neuron is not None else loose).append(node)
    for members in by_neuron.values():
        # Inside a box the inputs stand b, w.0, w.1, ... from the top (or the left): Graphviz stacks what is
        # declared first at the bottom of a left-to-right drawing; mclimit (see draw_dot) keeps that order
        members.sort(key=lambda node: (bool(tuple(node._prev)), _natural(node.label or '')), reverse=bottom_up)
    for neuron in sorted(by_neuron, key=_natural):  # layers.0 before layers.1, neurons.2 before neurons.10
        with graph.subgraph(name=_title(f'cluster_{neuron}')) as box:
            box.attr(label=_title(neuron), labelloc='t', labeljust='l', style='rounded,filled',
                     fillcolor='#eef2f7', color='#94a3b8', fontsize='14', fontcolor='#334155')
            for node in by_neuron[neuron]:
                emit(box, node)
    for node in loose:
        emit(graph, node)


def _cut_nodes(nodes: Sequence[Any], all_nodes: Sequence[Any], drawn: set[int]) -> tuple[set[int], set[int]]:
    """The drawn nodes with an input left out, and those with a use left out."""
    missing_inputs = {id(node) for node in nodes if any(id(p) not in drawn for p in node._prev)}
    missing_uses: set[int] = set()
    for node in all_nodes:
        if id(node) not in drawn:
            missing_uses.update(id(p) for p in node._prev if id(p) in drawn)
    return missing_inputs, missing_uses


def _too_large_message(count: int, limit: int, partial: bool) -> str:
    what = 'this neighbourhood' if partial else 'this graph'
    return (f'{what} has {count:,} nodes, more than max_nodes={limit:,}: a drawing that big is unreadable and '
            f'slow to lay out (one training step of an MLP is ~70,000 nodes). Draw part of it instead: '
            f'draw_dot(root, around=node, steps=2) shows the nodes within 2 steps of one node; or a smaller '
            f'model or batch; or text_view(node) for a text listing; for a conv or RNN, whose shared weights repeat '
            f'the same nodes at every position or time step, collapsed(root) draws each once with "x N". '
            f'To draw it all anyway, pass '
            f'max_nodes={count} (or None).')


def to_svg(root: Any, **options: Any) -> str:
    """SVG text of ``draw_dot(root, **options)``, for embedding in a web page.

    Each Value's ``<g class="node">`` has ``<title>`` = ``node_id(value)``; its op node's title is
    ``op_id(value)``.
    """
    options.pop('format', None)
    svg = draw_dot(root, format='svg', **options).pipe(format='svg', encoding='utf-8')
    assert isinstance(svg, str)  # pipe() gives text when asked for an encoding
    return svg
