"""explain(): where did this number come from? The forward formula and the chain rule, with numbers.

    >>> print(explain(w1, root=o))
    w1 = -3.0  (a leaf: an input or a parameter)
    dL/dw1 = dL/d(x1*w1) * x1 = 0.5 * 2.0 = 1.0
    where L is o, the output backward() started from

Local derivatives are not written here: they are read from the derivative table (``ops.py``, each node
class's ``.rule``) and printed with the input names substituted, so each rule exists once.

A Value does not know which nodes consumed it (no result -> input pointers, so graphs have no cycles),
so the consumers are found by walking the graph of the output that ``backward()`` ran from: pass it as
``root``. Without ``root``, the output of the last ``backward()`` is used: the engine keeps a reference to it
when its graph is lecture-sized (``engine.BackwardRecord``: not micrograd's moons demo).
"""
from __future__ import annotations

import ast
import functools
import math
import re
from typing import Any, NamedTuple

from .. import checks, codegen, engine, ops
from ..engine import Value, topological_order
from ..nn.conv import split_place

MAX_NAME = 40        # longer expression names become v<index in topological order>
MAX_TERMS = 8        # chain-rule sums longer than this are grouped by what used the node
SHOWN_PER_GROUP = 5  # the largest terms of a group that are written out

ATOM, POWER, UNARY, PRODUCT, SUM, LOOSE = 5, 4, 3, 2, 1, 0   # binding strength, as in Python
_BINARY = {'+': SUM, '-': SUM, '*': PRODUCT, '/': PRODUCT, '**': POWER}
_IDENTIFIER = re.compile(r'[A-Za-z_]\w*')
_MADE_UP = re.compile(r'\bv\d+\b')
_DOTTED = re.compile(r'[A-Za-z_]\w*(?:\.\w+)*')

Text = tuple[str, float]   # an expression's text and how tightly it binds (a labelled formula: half a step less)


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


def _wrap(operand: Text, needed: float) -> str:
    text, binding = operand
    return text if binding >= needed else f'({text})'


def _binary(op: str, left: Text, right: Text, spaced: bool) -> Text:
    strength = _BINARY[op]
    # ** groups to the right, the others to the left: a - (b - c) keeps its parentheses
    left_needs, right_needs = (strength + 0.5, strength) if op == '**' else (strength, strength + 0.5)
    gap = ' ' if spaced or strength == SUM else ''
    return f'{_wrap(left, left_needs)}{gap}{op}{gap}{_wrap(right, right_needs)}', strength


def _expression(op: str, operands: list[Text], spaced: bool) -> Text:
    """The text of one node's op applied to its operands: names (x1*w1) or numbers (2.0 * -3.0)."""
    if op in _BINARY and len(operands) == 2:
        return _binary(op, operands[0], operands[1], spaced)
    if op.startswith('**') and len(operands) == 1:   # x ** c, the constant rides in the op string
        return _binary('**', operands[0], (op[2:], ATOM), spaced)
    if op == 'neg' and len(operands) == 1:
        return f'-{_wrap(operands[0], UNARY)}', UNARY
    if op == 'dot':  # bias + w1*x1 + w2*x2 + ...
        terms = [_wrap(operands[0], SUM)]
        terms += [_binary('*', w, x, spaced)[0] for w, x in zip(operands[1::2], operands[2::2])]
        return ' + '.join(terms), SUM
    return f"{_op_text(op)}({', '.join(text for text, _ in operands)})", ATOM


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
        self.consumers: dict[Value, list[tuple[Value, int]]] = {node: [] for node in everything}
        for node in everything:
            for position, parent in enumerate(node._prev):
                self.consumers[parent].append((node, position))
        self.order = everything
        self.index = {node: k for k, node in enumerate(self.order)}
        self._names: dict[Value, Text] = {}
        self._made_up: dict[str, Value] = {}  # v12-style names of unlabelled nodes with long formulas
        for node in self.order:  # inputs come first, so their names are ready
            self._names[node] = self._name_of(node)

    # ------------------------------------------------------------ names

    def _name_of(self, node: Value) -> Text:
        if node.label:
            return node.label, _label_binding(node.label)
        if not node._prev:  # an unlabelled leaf is a constant as far as the reader can tell
            return _number(node.data)
        text, binding = _expression(node._op, [self._names[p] for p in node._prev], spaced=False)
        if len(text) > MAX_NAME:
            made_up = f'v{self.index[node]}'
            self._made_up[made_up] = node
            return made_up, ATOM
        return text, binding

    def defined(self, text: str) -> str:
        """``text`` and a line for each made-up name in it (v12): its formula, in names that are in turn
        defined by their numbers, so that no name is left undefined."""
        lines = [checks.text('defined(text)', text)]
        first = self._made_up_in(text)
        for name in first:
            node = self._made_up[name]
            formula = _expression(node._op, [self._names[p] for p in node._prev], spaced=False)[0]
            lines.append(f'where {name} = {formula} = {format_number(node.data)}')
        mentioned = set(first)
        for name in self._made_up_in('\n'.join(lines[1:])):
            if name not in mentioned:
                lines.append(f'where {name} = {format_number(self._made_up[name].data)}')
        if len(lines) > 1:
            lines.append('(v<n>: the n-th node of the graph, which has no label; set its .label to name it)')
        return '\n'.join(lines)

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
        return self._names[node][0]

    def d(self, node: Value) -> str:
        """dL/dx1 or dL/d(x1*w1): the partial derivative of the output with respect to ``node``."""
        return self._d(self._node('d(node)', node))

    def _d(self, node: Value) -> str:
        text = self._names[node][0]
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
        symbols = _expression(node._op, grouped, spaced=False)[0]
        numbers = _expression(node._op, [_number(p.data) for p in node._prev], spaced=True)[0]
        steps = [name] + ([symbols] if symbols != name else []) + [numbers, value]
        return ' = '.join(steps)

    # ------------------------------------------------------------ backward

    def backward_has_run(self) -> bool:
        return self.root.grad != 0.0

    def backward(self, node: Value) -> str:
        """``dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5``: the chain-rule sum over the node's consumers.

        A sum of more than MAX_TERMS terms is grouped by what used the node (the same layer node in every
        sample of a batch is one group), each group showing its largest terms and what the rest add up to.
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
        # two nodes of one name (a layer's node in every sample) would read as one: group them by name
        users = {consumer for consumer, _ in self.consumers[node]}
        repeated = len({self._d(consumer) for consumer in users}) < len(users)
        lines = self._sum(node, terms) if len(terms) <= MAX_TERMS and not repeated else self._grouped_sum(node, terms)
        if not math.isclose(total, node.grad, rel_tol=1e-9, abs_tol=1e-12) and not (
                math.isnan(total) and math.isnan(node.grad)):
            name = self._name(node)
            whose = f'{name}.grad' if name.isidentifier() and name not in self._made_up else 'its grad'
            lines.append(f'note: {whose} reads {format_number(node.grad)}, not the sum {format_number(total)}: a '
                         "leaf's grad adds up over backward() calls until you zero it (or it was changed by hand)")
        return '\n'.join(lines)

    def _sum(self, node: Value, terms: list[Term]) -> list[str]:
        """The chain rule written out: symbols, numbers, products, total."""
        symbols = ' + '.join(f'{term.upstream_name} * {term.local_text}' for term in terms)
        numbers = ' + '.join(f'{format_number(term.upstream)} * {format_number(term.local)}' for term in terms)
        if len(terms) == 1:
            return [f'{self._d(node)} = {symbols} = {numbers} = {format_number(node.grad)}']
        indent = ' ' * len(self._d(node))
        products = ' + '.join(format_number(term.product) for term in terms)
        return [f'{self._d(node)} = {symbols}', f'{indent} = {numbers}', f'{indent} = {products}',
                f'{indent} = {format_number(node.grad)}']

    def _grouped_sum(self, node: Value, terms: list[Term]) -> list[str]:
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
        lines.append(f'  = {format_number(node.grad)}')
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
        """The table's rule for d consumer / d input, with the graph's names put in."""
        operands = [self._names[p] for p in consumer._prev]
        if engine.is_dot(consumer):  # each factor's partner: the same rule the engine runs
            rule = ops.dot_grads(operands, None)[position]
            return _wrap(rule, PRODUCT) if isinstance(rule, tuple) else format_number(rule)
        x, y, out = consumer.rule_inputs()
        names: dict[str, Text] = {'x': operands[0], 'out': self._names[consumer]}
        numbers: dict[str, float] = {'x': x, 'out': out}
        if y is not None:  # the second input, or the constant c of x ** c
            names['y'] = operands[1] if len(operands) > 1 else (engine.format_exponent(y), ATOM)
            numbers['y'] = y
        assert consumer.rule is not None
        rule = ast.parse(consumer.rule.grads[position], mode='eval').body
        return _wrap(_render_rule(rule, names, numbers), PRODUCT)


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


def _render_rule(tree: ast.AST, names: dict[str, Text], numbers: dict[str, float]) -> Text:
    """A derivative rule from ops.py as math: ``1 / y`` reads ``1/w1``, ``1 - out * out`` reads ``1 - o*o``."""
    if isinstance(tree, ast.Name):
        return names[tree.id]
    if isinstance(tree, ast.Constant):
        return repr(tree.value), ATOM
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return f'-{_wrap(_render_rule(tree.operand, names, numbers), UNARY)}', UNARY
    if isinstance(tree, ast.BinOp):
        op = {ast.Add: '+', ast.Sub: '-', ast.Mult: '*', ast.Div: '/', ast.Pow: '**'}[type(tree.op)]
        return _binary(op, _render_rule(tree.left, names, numbers), _render_rule(tree.right, names, numbers),
                       spaced=False)
    if isinstance(tree, ast.IfExp):  # show the branch the numbers take (e.g. d/dy x**y at x == 0)
        return _render_rule(tree.body if _test_value(tree.test, numbers) else tree.orelse, names, numbers)
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        tests = (ast.Compare, ast.BoolOp)  # zero_if's test is evaluated, not written
        args = [_render_rule(arg, names, numbers) for arg in tree.args if not isinstance(arg, tests)]
        if tree.func.id == 'data':
            return args[0]
        if tree.func.id == 'zero_if':  # the guard: 0 where its test holds, as the engine takes it
            return ('0', ATOM) if _test_value(tree.args[0], numbers) else args[0]
        return f"{tree.func.id}({', '.join(text for text, _ in args)})", ATOM
    raise ValueError(f'explain cannot write the rule {ast.unparse(tree)!r} as math; extend _render_rule')


def _test_value(tree: ast.AST, numbers: dict[str, float]) -> Any:
    """A rule's test (``data(y) != 0``, ``data(x) == 0 and data(y) >= 0``) at the graph's numbers."""
    value = codegen.evaluate(tree, numbers)
    if value is None:
        raise ValueError(f'explain cannot evaluate the test {ast.unparse(tree)!r} of a rule: codegen.evaluate reads '
                         'numbers, names, + - *, comparisons, and, or, not and data()')
    return value


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
    record = engine.LAST_BACKWARD
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
