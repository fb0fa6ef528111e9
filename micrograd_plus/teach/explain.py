"""explain(): where did this number come from? The forward formula and the chain rule, with numbers.

    >>> print(explain(w1, root=o))
    w1 = -3.0  (a leaf: an input or a parameter)
    dL/dw1 = dL/d(x1*w1) * x1 = 0.5 * 2.0 = 1.0
    where L is o, the output backward() started from

Formulas and local derivatives are not written here: they are read from the derivative table (``ops.py``,
each node class's ``.rule``, parsed by ``rules.py``) and printed with the input names substituted, so each
rule exists once and a new row is explained as soon as it is in the table.

A Value does not know which nodes consumed it (no result -> input pointers, so graphs have no cycles),
so the consumers are found by walking the graph of the output that ``backward()`` ran from: pass it as
``root``. Without ``root``, the output of the last ``backward()`` is used: the engine keeps a reference to it
when its graph is lecture-sized (``teach.record.BackwardRecord``: not micrograd's moons demo).
"""
from __future__ import annotations

import ast
import functools
import math
import re
from typing import Any, NamedTuple

from .. import checks, engine, ops, rules
from ..engine import Value, topological_order
from ..nn.conv import split_place
from ..nn.samples import name_samples
from ..ops import format_constant
from ..rules import ATOM, LOOSE, NO_BIAS, POWER, PRODUCT, SUM, UNARY, Text, joined, wrap
from .record import LAST_BACKWARD

MAX_NAME = 40        # longer expression names become v<index in topological order>
MAX_TERMS = 8        # chain-rule sums longer than this are grouped by what used the node
SHOWN_PER_GROUP = 5  # the largest terms of a group that are written out

_IDENTIFIER = re.compile(r'[A-Za-z_]\w*')
_MADE_UP = re.compile(r'\bv\d+\b')
_NUMBER = re.compile(r'\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan')
_DOTTED = re.compile(r'[A-Za-z_]\w*(?:\.\w+)*(?:\[\d+\])?')  # and nn's sample: layers.1.neurons.0.z[3]



class Term(NamedTuple):
    """One term of a chain-rule sum: dL/d(consumer) * d consumer/d node."""
    upstream_name: str   # dL/d(x1*w1)
    local_text: str      # w1
    upstream: float
    local: float
    product: float       # what the engine added (0 where the rule selects zero, even for an infinite upstream)
    group: str           # what used the node: a label, or 'unlabelled dot nodes'
    consumer: Value


def format_number(x: float, digits: int = 6) -> str:
    """A float rounded to ``digits`` significant digits, written like Python writes floats (2.0, -1.5); more
    than 17 digits give all a float has, as 17 do."""
    # the full checks only off the common path (a float, 1 to 17 digits): explain() formats thousands of numbers
    if x.__class__ is not float:
        x = checks.real('format_number(x)', x, finite=False, nan=True)
    if digits.__class__ is not int or not 0 < digits <= 17:
        digits = min(checks.count('format_number(digits)', digits, at_most=None), 17)
    if not math.isfinite(x):
        return repr(x)
    return repr(float(f'{x:.{digits}g}'))


def _number(x: float) -> Text:
    text = format_number(x)
    return text, (UNARY if text.startswith('-') else ATOM)


@functools.lru_cache(maxsize=1024)
def _label_binding(label: str) -> float:
    """How tightly a label binds inside a larger expression.

    A label that is itself a formula names one node, so it keeps its parentheses unless it binds strictly
    tighter than where it is used: 'x1*w1' + 'x2*w2' reads x1*w1 + x2*w2, but 'x1*w1 + x2*w2' + b reads
    (x1*w1 + x2*w2) + b, matching the two numbers shown beside it.
    """
    if _DOTTED.fullmatch(label):  # x1, or nn's layers.0.neurons.3.z: one name
        return ATOM
    placed = split_place(label)
    if placed and _DOTTED.fullmatch(placed[0]):  # layers.0.z.2[3,4], rnn.h.3[t=5]: one name too
        return ATOM
    try:
        tree = ast.parse(label, mode='eval').body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return LOOSE
    if isinstance(tree, ast.BinOp):
        return {ast.Add: SUM, ast.Sub: SUM, ast.Mult: PRODUCT, ast.Div: PRODUCT,
                ast.Pow: POWER}.get(type(tree.op), SUM) - 0.5
    if isinstance(tree, ast.UnaryOp):
        return UNARY - 0.5
    if isinstance(tree, (ast.Name, ast.Constant, ast.Call)):
        return ATOM
    return LOOSE


def _expression(node: Value, operands: list[Text], spaced: bool) -> Text:
    """The text of one node's op applied to its operands: names (x1*w1) or numbers (2.0 * -3.0), from its row's
    forward (``rules.forward_text``); a node built by hand reads as a call of its op, ``cube(x)``."""
    row = getattr(type(node), 'rule', None)
    if row is None:
        return f"{_op_text(node._op)}({', '.join(text for text, _ in operands)})", ATOM
    return rules.forward_text(rules.rule_of(row), operands, node.constants(), spaced)


def _is_zero(node: Value) -> bool:
    """The constant 0 (an unlabelled leaf): sum()'s start, or the bias of a neuron without one."""
    return not node._prev and not node.label and node.data == 0.0


def _op_text(op: str) -> str:
    return 'relu' if op == 'ReLU' else (op or 'op')


class Explainer:
    """Names, forward formulas and chain-rule sums for every node in the graph of ``root``.

    Built once per graph (one walk), so the stepper page can explain every node without a walk each.
    """

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(f'Explainer(root) takes the output Value whose graph to explain, got {checks.shown(root)}')
        self.root = root
        everything = topological_order(root)
        # which sample of a model's several each node was made for: its label reads [i] from here on
        self.sample: dict[Value, int] = {node: i for node in everything
                                         if (i := samples_in.get(id(node))) is not None} \
            if (samples_in := name_samples(everything)) else {}
        self.consumers: dict[Value, list[tuple[Value, int]]] = {node: [] for node in everything}
        for node in everything:
            for position, parent in enumerate(node._prev):
                self.consumers[parent].append((node, position))
        self.order = everything
        self.index = {node: k for k, node in enumerate(self.order)}
        self._names: dict[Value, Text] = {}  # how the nodes that use a node name it
        self._own: dict[Value, Text] = {}  # its own name where it differs: 0 + x (sum()'s start) is x to its users
        self._made_up: dict[str, Value] = {}  # v12-style names of unlabelled nodes with long formulas
        for node in self.order:  # inputs come first, so their names are ready
            self._names[node] = self._name_of(node)

    # ------------------------------------------------------------ names

    def _name_of(self, node: Value) -> Text:
        if node.label:
            return node.label, _label_binding(node.label)
        if not node._prev:  # an unlabelled leaf is a constant as far as the reader can tell
            return ('0', ATOM) if _is_zero(node) else _number(node.data)
        operands = self._operands(node, [self._names[p] for p in node._prev])
        zeros = [_is_zero(p) for p in node._prev]
        if getattr(type(node), 'rule', None) is ops.ADD and any(zeros) and not all(zeros):
            # sum() starts at 0: the node is 0 + x, and x to whoever adds to it (no '0.0 + ' in every name after)
            self._own[node] = _expression(node, operands, spaced=False)
            return next(text for p, text in zip(node._prev, operands) if not _is_zero(p))
        text, binding = _expression(node, operands, spaced=False)
        if len(text) > MAX_NAME:
            made_up = f'v{self.index[node]}'
            self._made_up[made_up] = node
            return made_up, ATOM
        return text, binding

    def _operands(self, node: Value, texts: list[Text], nought: bool = False) -> list[Text]:
        """The operands as written: an n-ary node's first (a dot's bias) left out when it is the constant 0 (a
        neuron without bias), or, with ``nought``, when its number is 0 (the numbers line: b is 0 yet)."""
        row = getattr(type(node), 'rule', None)
        first = node._prev[0] if node._prev else None
        if row is None or not row.repeat or first is None or len(texts) < 3:
            return texts
        if _is_zero(first) or (nought and first.data == 0.0):
            return [NO_BIAS, *texts[1:]]
        return texts

    def defined(self, text: str) -> str:
        """``text`` and a line for each made-up name in it (v12): its formula, in names that are in turn
        defined by their numbers, so that no name is left undefined."""
        lines = [checks.text('defined(text)', text)]
        first = [name for name in self._made_up_in(text) if not text.startswith(f'{name} = ')]  # defined right there
        for name in first:
            node = self._made_up[name]
            formula = _expression(node, self._operands(node, [self._names[p] for p in node._prev]), spaced=False)[0]
            lines.append(f'where {name} = {formula} = {format_number(node.data)}')
        mentioned = set(first)
        for name in self._made_up_in('\n'.join(lines[1:])):
            if name not in mentioned:
                lines.append(f'where {name} = {format_number(self._made_up[name].data)}')
        if len(lines) > 1:
            lines.append('(v<n>: the n-th node of the graph, which has no label; set its .label to name it)')
        return '\n'.join(lines)

    def is_made_up(self, name: str) -> bool:
        """Whether ``name`` is a v<n> this explainer made up for an unlabelled node with a long formula."""
        return checks.text('is_made_up(name)', name) in self._made_up

    def _made_up_in(self, text: str) -> list[str]:
        return sorted({name for name in _MADE_UP.findall(text) if name in self._made_up}, key=lambda n: int(n[1:]))

    def _node(self, what: str, node: Any) -> Value:
        """``node`` if it is a node of this graph, else an error that says so."""
        root = self._name(self.root)
        if not isinstance(node, Value):
            raise TypeError(f'{what} takes a Value of the graph of {root}, got {checks.shown(node)}')
        if node not in self.index:
            raise ValueError(f'{checks.shown(node)} is not in the graph of {root}, so {what} cannot explain it: pass '
                             'a node the output was computed from, or make an Explainer of the output it feeds into')
        return node

    def name(self, node: Value) -> str:
        """The node's name: its label, its formula (x1*w1) while short, else v<n>."""
        return self._name(self._node('name(node)', node))

    def _name(self, node: Value) -> str:
        return self._own.get(node, self._names[node])[0]

    def d(self, node: Value) -> str:
        """dL/dx1 or dL/d(x1*w1): the partial derivative of the output with respect to ``node``."""
        return self._d(self._node('d(node)', node))

    def _d(self, node: Value) -> str:
        text = self._name(node)
        return f'dL/d{text}' if _IDENTIFIER.fullmatch(text) and text not in self._made_up else f'dL/d({text})'

    # ------------------------------------------------------------ forward

    def forward(self, node: Value) -> str:
        """``x1*w1 = 2.0 * -3.0 = -6.0``: how the node's value was computed."""
        name, value = self._name(self._node('forward(node)', node)), format_number(node.data)
        if not node._prev:
            return f'{name} = {value}  (a leaf: an input or a parameter)'
        # each input is one node: keep it in one piece, (x1*w1 + x2*w2) + b, to match the numbers after it
        grouped = [(text, binding - 0.5 if binding < ATOM and binding == int(binding) else binding)
                   for text, binding in (self._names[p] for p in node._prev)]
        symbols = _expression(node, self._operands(node, grouped), spaced=False)[0]
        numbers = _expression(node, self._operands(node, [('0', ATOM) if _is_zero(p) else _number(p.data)
                                                          for p in node._prev], nought=True), spaced=True)[0]
        steps = [name] + ([symbols] if symbols != name else []) + [numbers, value]
        return ' = '.join(steps)

    # ------------------------------------------------------------ backward

    def backward_has_run(self) -> bool:
        return self.root.grad != 0.0

    def backward(self, node: Value) -> str:
        """``dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5``: the chain-rule sum over the node's consumers.

        A parameter used by several samples of a model (``layers.0.neurons.0.z[0]``, ``...z[1]``) lists its
        terms sample by sample. Otherwise a sum of more than MAX_TERMS terms is grouped by what used the node,
        each group showing its largest terms and what the rest add up to. The last number is the sum: where
        the grad reads otherwise (accumulated over backward() calls), a note says so.
        """
        self._node('backward(node)', node)
        if not self.backward_has_run():
            return (f'backward() has not run yet ({self.root_grad()} is 0), so there are no gradients to explain: '
                    f'call {self.root_backward_call()} first')
        if node is self.root:
            return f'{self._d(node)} = {format_number(node.grad)}  (backward() starts here: dL/dL = 1)'
        # the engine adds the terms in reverse topological order; so do we, to get the same float
        terms = [self._term(consumer, position) for consumer, position in reversed(self.consumers[node])]
        total = 0.0
        for term in terms:
            total += term.product
        users = {consumer for consumer, _ in self.consumers[node]}
        if len({self.sample[user] for user in users if user in self.sample}) > 1:
            lines = self._by_sample(node, terms, total)
        else:  # two nodes of one name would read as one: group them by name
            repeated = len({self._d(consumer) for consumer in users}) < len(users)
            lines = self._sum(node, terms, total) if len(terms) <= MAX_TERMS and not repeated else \
                self._grouped_sum(node, terms, total)
        if not math.isclose(total, node.grad, rel_tol=1e-9, abs_tol=1e-12) and not (
                math.isnan(total) and math.isnan(node.grad)):
            name = self._name(node)
            whose = f'{name}.grad' if name.isidentifier() and name not in self._made_up else 'its grad'
            lines.append(f'note: {whose} reads {format_number(node.grad)}, not this sum {format_number(total)}: a '
                         "leaf's grad adds up over backward() calls until you zero it (or it was changed by hand)")
        return '\n'.join(lines)

    def _sum(self, node: Value, terms: list[Term], total: float) -> list[str]:
        """The chain rule written out: symbols, numbers, products, their sum (what this backward() added)."""
        symbols = ' + '.join(f'{term.upstream_name} * {term.local_text}' for term in terms)
        numbers = joined([f'{format_number(term.upstream)} * {format_number(term.local)}' for term in terms])
        if len(terms) == 1:
            return [f'{self._d(node)} = {symbols} = {numbers} = {format_number(total)}']
        indent = ' ' * len(self._d(node))
        products = joined([format_number(term.product) for term in terms])
        return [f'{self._d(node)} = {symbols}', f'{indent} = {numbers}', f'{indent} = {products}',
                f'{indent} = {format_number(total)}']

    def _by_sample(self, node: Value, terms: list[Term], total: float) -> list[str]:
        """A parameter used by every sample of a batch: its terms sample by sample (sample 0 first), then
        its other uses (a penalty) grouped by what used them; many samples show their largest terms."""
        by_sample: dict[int, list[Term]] = {}
        others: list[Term] = []
        for term in terms:
            i = self.sample.get(term.consumer)
            if i is None:
                others.append(term)
            else:
                by_sample.setdefault(i, []).append(term)
        extra = f' and {len(others)} other use{"s" if len(others) > 1 else ""}' if others else ''
        lines = [f'{self._d(node)} = the sum of its chain-rule terms over {len(by_sample)} samples{extra}:']
        shown = sorted(by_sample)
        if len(shown) > MAX_TERMS:  # the largest contributions, in sample order
            shown = sorted(sorted(shown, key=lambda i: -abs(sum(t.product for t in by_sample[i])))[:SHOWN_PER_GROUP])
        for i in shown:
            for term in by_sample[i]:
                lines.append(f'  sample {i}: {term.upstream_name} * {term.local_text} = {format_number(term.upstream)}'
                             f' * {format_number(term.local)} = {format_number(term.product)}')
        rest = [term for i in by_sample if i not in shown for term in by_sample[i]]
        if rest:
            rest_total = 0.0
            for term in rest:
                rest_total += term.product
            lines.append(f'  the other {len(by_sample) - len(shown)} samples add up to {format_number(rest_total)}')
        if others:
            lines += self._grouped_sum(node, others, total)[1:-1]
        lines.append(f'  = {format_number(total)}')
        return lines

    def _grouped_sum(self, node: Value, terms: list[Term], total: float) -> list[str]:
        groups: dict[str, list[Term]] = {}
        for term in terms:  # a layer's node at every position or time step is one group: layers.0.z.2[i,j]
            groups.setdefault(_placeless(term.group), []).append(term)
        lines = [f'{self._d(node)} = the sum of {len(terms)} chain-rule terms, one per use of {self._name(node)}:']
        for group, members in groups.items():
            places = _places(members)
            if places:
                lines += self._placed_group(group, members, places)
                continue
            shown = sorted(members, key=lambda term: -abs(term.product) if term.product == term.product else 0)
            shown = shown if len(shown) <= SHOWN_PER_GROUP + 1 else shown[:SHOWN_PER_GROUP]
            rest = [term for term in members if term not in shown]
            largest = f', the {len(shown)} largest shown' if rest else ''
            nodes = len({id(term.consumer) for term in members})
            each = ' (one node of that name per forward pass)' if nodes > 1 and not group.startswith('unlabelled') \
                else ''
            each += ' (it uses it twice)' if nodes == 1 and len(members) == 2 else ''
            lines.append(f'  {len(members)} use{"s" if len(members) > 1 else ""} by {group}{each}{largest}:')
            for term in shown:
                lines.append(f'    {term.upstream_name} * {term.local_text} = {format_number(term.upstream)} * '
                             f'{format_number(term.local)} = {format_number(term.product)}')
            if rest:
                rest_total = 0.0
                for term in rest:
                    rest_total += term.product
                lines.append(f'    the other {len(rest)} add up to {format_number(rest_total)}')
        lines.append(f'  = {format_number(total)}')
        return lines

    def _placed_group(self, group: str, members: list[Term], places: list[str]) -> list[str]:
        """The uses of a shared weight by one layer node repeated over an image or a sequence: where, then
        the largest terms. 'used at 36 positions of each image', 'used once per time step t = 0..11'."""
        passes = len(members) // len(places) if len(members) % len(places) == 0 else 0
        if places[0].startswith('t='):
            steps = [int(place[2:]) for place in places]
            span = f't = {steps[0]}..{steps[-1]}' if steps == list(range(steps[0], steps[-1] + 1)) else \
                't = ' + ', '.join(map(str, steps))
            where = f'once per time step {span}' if passes == 1 else f'at {len(places)} time steps {span}'
            name = f'{group}[t]'
        else:
            where = f'at {len(places)} positions of each image, [{places[0]}] .. [{places[-1]}]'
            name = f'{group}[row,col]'
        if passes > 1:
            where += f', in each of {passes} forward passes'
        shown = sorted(members, key=lambda term: -abs(term.product) if term.product == term.product else 0)
        shown = shown if len(shown) <= SHOWN_PER_GROUP + 1 else shown[:SHOWN_PER_GROUP]
        largest = f', the {len(shown)} largest shown' if len(shown) < len(members) else ''
        lines = [f'  {len(members)} uses by {name}: used {where}{largest}:']
        for term in shown:
            lines.append(f'    {term.upstream_name} * {term.local_text} = {format_number(term.upstream)} * '
                         f'{format_number(term.local)} = {format_number(term.product)}')
        rest = [term for term in members if term not in shown]
        if rest:
            rest_total = 0.0
            for term in rest:
                rest_total += term.product
            lines.append(f'    the other {len(rest)} add up to {format_number(rest_total)}')
        return lines

    def root_grad(self) -> str:
        name = self._name(self.root)
        return f'{name}.grad' if name.isidentifier() else "the output's grad"

    def root_backward_call(self) -> str:
        """How to run backward on the root, as Python (a label like 'x*2' or 'layers.0.y' is not a name)."""
        name = self._name(self.root)
        return f'{name}.backward()' if name.isidentifier() and not _MADE_UP.fullmatch(name) else \
            'backward() on the output (for an output named loss: loss.backward())'

    def _term(self, consumer: Value, position: int) -> Term:
        """One chain-rule term: dL/d(consumer) times d consumer / d input, as text and as numbers."""
        group = consumer.label or f'unlabelled {_op_text(consumer._op)} nodes'
        if engine.is_hand_built(consumer):  # built as Value(data, children, op): its own _backward is the rule
            local, how = _hand_written_term(consumer, position)
            return Term(self.d(consumer), f'{format_number(local)} ({how})', consumer.grad, local,
                        consumer.grad * local, group, consumer)
        local = consumer.vjp(1.0)[position]
        if local is None:  # the rule selects zero: the engine passes nothing on, not 0 * upstream
            return Term(self.d(consumer), '0', consumer.grad, 0.0, 0.0, group, consumer)
        product = consumer.vjp(consumer.grad)[position]  # the engine's own term (g / y for 1/y, not g * inf)
        return Term(self.d(consumer), self._local_text(consumer, position), consumer.grad, float(local),
                    0.0 if product is None else float(product), group, consumer)

    def _local_text(self, consumer: Value, position: int) -> str:
        """The table's rule for d consumer / d input, with the graph's names put in (for an n-ary node, the
        names of the group the input is in: w1's partner x1) and the branch its numbers take."""
        assert consumer.rule is not None  # a hand-built node is explained by its own _backward, before this
        rule = rules.rule_of(consumer.rule)
        operands = consumer._prev
        inputs = len(operands)
        for group in rules.groups(rule, inputs):
            grads = dict(group.grads)
            if position in grads:
                break
        names: dict[str, Text] = {name: self._names[operands[p]] for name, p in group.names.items()}
        numbers: dict[str, float] = {name: operands[p].data for name, p in group.names.items()}
        names['out'], numbers['out'] = self._names[consumer], consumer.data
        for name, value in zip(rule.constants, consumer.constants()):
            names[name], numbers[name] = (format_constant(value), ATOM), value
        return wrap(rules.math_text(grads[position], names, numbers, folded=True), PRODUCT)


def _placeless(label: str) -> str:
    """layers.0.z.2[3,4] -> layers.0.z.2; rnn.h.3[t=5] -> rnn.h.3; any other label as it is."""
    placed = split_place(label)
    return placed[0] if placed else label


def _places(members: list[Term]) -> list[str]:
    """The places ('3,4' or 't=5') the group's consumers are at, in order; [] unless every one has one."""
    found = {}
    for term in members:
        placed = split_place(term.group)
        if placed is None:
            return []
        found[placed[1]] = tuple(int(n) for n in re.findall(r'\d+', placed[1]))
    return sorted(found, key=found.__getitem__)



def _hand_written_term(node: Value, position: int) -> tuple[float, str]:
    """d node / d input for a node built the lecture's way, read off its own ``_backward``, and how.

    The closure runs once with node.grad = 1 and the inputs' grads at 0; then those grads are put back
    (a grad the closure changes on a node it does not list in ``_prev`` is not). An input listed twice
    gets the whole derivative at its first position.
    """
    if not engine.hand_built_backward_given(node):
        return 0.0, 'built by hand, with no _backward'
    inputs = node._prev
    if any(inputs[i] is inputs[position] for i in range(position)):
        return 0.0, 'the same input again: counted once, in its other term'
    saved = [x.grad for x in inputs], node.grad
    try:
        for x in inputs:
            x.grad = 0.0
        node.grad = 1.0
        node._backward()
        return float(inputs[position].grad), 'from its hand-written _backward'
    except Exception as error:  # the student's closure is broken: say so, keep explaining
        return 0.0, f'its _backward failed: {type(error).__name__}: {error}'
    finally:
        for x, grad in zip(inputs, saved[0]):
            x.grad = grad
        node.grad = saved[1]


def explain(node: Value, root: Value | None = None) -> str:
    """How ``node`` got its value and its gradient: the forward formula and the chain-rule sum, with numbers.

    ``root`` is the output ``backward()`` was called on; its graph says which nodes consumed ``node``.
    """
    if not isinstance(node, Value):
        raise TypeError(f'explain() takes a Value, got {checks.shown(node)}')
    if root is not None and not isinstance(root, Value):
        raise TypeError(f'explain(node, root): root must be a Value, got {checks.shown(root)}')
    record = LAST_BACKWARD
    last = record.output
    given = root is not None
    if root is None:
        if last is None and record.inner_nodes > 0:
            size = f'{record.inner_nodes:,} nodes' + (f' with {record.edges:,} inputs' if record.edges > 0 else '')
            raise ValueError(f'the last backward() ran over {size}, more than the lecture-sized graphs it remembers '
                             'for explain(): call explain(node, root=output) with the output you called backward() on')
        if last is None:  # no backward has run: the forward pass is all there is
            explainer = Explainer(node)
            return explainer.defined(f'{explainer.forward(node)}\nbackward() has not run yet, so there is no '
                                     'gradient to explain: call backward() on the output first')
        root = last
    explainer = Explainer(root)
    if node not in explainer.index:
        where = f'root {root!r}' if given else f'the last backward() (from {root!r})'
        raise ValueError(f'{node!r} is not in the graph of {where}: call explain(node, root=output) with '
                         'the output it feeds into')
    lines = [explainer.forward(node), explainer.backward(node)]
    if explainer.backward_has_run() and node is not root:
        started = ', the output backward() started from' if root is last else ''
        lines.append(f'where L is {explainer.name(root)}{started}')
    return explainer.defined('\n'.join(lines))
