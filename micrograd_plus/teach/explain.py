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
import operator
import re
from typing import Any, NamedTuple

from .. import checks, codegen, engine, ops
from ..engine import Value, topological_order
from ..nn.samples import name_samples

MAX_NAME = 40        # longer expression names become v<index in topological order>
MAX_TERMS = 8        # chain-rule sums longer than this are grouped by what used the node
SHOWN_PER_GROUP = 5  # the largest terms of a group that are written out

ATOM, POWER, UNARY, PRODUCT, SUM, LOOSE = 5, 4, 3, 2, 1, 0   # binding strength, as in Python
_BINARY = {'+': SUM, '-': SUM, '*': PRODUCT, '/': PRODUCT, '**': POWER}
_IDENTIFIER = re.compile(r'[A-Za-z_]\w*')
_MADE_UP = re.compile(r'\bv\d+\b')
_NUMBER = re.compile(r'\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan')
_DOTTED = re.compile(r'[A-Za-z_]\w*(?:\.\w+)*(?:\[\d+\])?')  # and nn's sample: layers.1.neurons.0.z[3]

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


def _joined(terms: list[str]) -> str:
    """Terms added as a person writes them: a + -b reads a - b."""
    text = terms[0] if terms else '0'
    for term in terms[1:]:
        text += f' - {term[1:]}' if term.startswith('-') else f' + {term}'  # each term a product: -a*b = -(a*b)
    return text


def _binary(op: str, left: Text, right: Text, spaced: bool) -> Text:
    if op in ('+', '-') and UNARY - 0.5 <= right[1] <= UNARY and right[0].startswith('-'):  # a - -1.0: a + 1.0
        op, right = ('-' if op == '+' else '+'), (right[0][1:], ATOM if _NUMBER.fullmatch(right[0][1:]) else UNARY)
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
    if op == 'dot':  # bias + w1*x1 + w2*x2 + ... (the bias left out by the caller when it is 0)
        terms = [_wrap(operands[0], SUM)] if len(operands) % 2 else []
        start = len(operands) % 2
        terms += [_binary('*', w, x, spaced)[0] for w, x in zip(operands[start::2], operands[start + 1::2])]
        return _joined(terms), SUM
    return f"{_op_text(op)}({', '.join(text for text, _ in operands)})", ATOM


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
        if node._op == '+' and any(map(_is_zero, node._prev)) and not all(map(_is_zero, node._prev)):
            # sum() starts at 0: the node is 0 + x, and x to whoever adds to it (no '0.0 + ' in every name after)
            self._own[node] = _expression('+', operands, spaced=False)
            return next(text for p, text in zip(node._prev, operands) if not _is_zero(p))
        text, binding = _expression(node._op, operands, spaced=False)
        if len(text) > MAX_NAME:
            made_up = f'v{self.index[node]}'
            self._made_up[made_up] = node
            return made_up, ATOM
        return text, binding

    def _operands(self, node: Value, texts: list[Text]) -> list[Text]:
        """The operands as written: a dot's bias left out when it is the constant 0 (a neuron without bias)."""
        return texts[1:] if engine.is_dot(node) and _is_zero(node._prev[0]) else texts

    def defined(self, text: str) -> str:
        """``text`` and a line for each made-up name in it (v12): its formula, in names that are in turn
        defined by their numbers, so that no name is left undefined."""
        lines = [checks.text('defined(text)', text)]
        first = [name for name in self._made_up_in(text) if not text.startswith(f'{name} = ')]  # defined right there
        for name in first:
            node = self._made_up[name]
            formula = _expression(node._op, self._operands(node, [self._names[p] for p in node._prev]),
                                  spaced=False)[0]
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
        symbols = _expression(node._op, self._operands(node, grouped), spaced=False)[0]
        numbers = _expression(node._op, self._operands(node, [('0', ATOM) if _is_zero(p) else _number(p.data)
                                                              for p in node._prev]), spaced=True)[0]
        if engine.is_dot(node) and node._prev[0].data == 0.0 and not _is_zero(node._prev[0]) and len(node._prev) > 1:
            numbers = _expression('dot', [_number(p.data) for p in node._prev[1:]], spaced=True)[0]  # b is 0 yet
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
        numbers = _joined([f'{format_number(term.upstream)} * {format_number(term.local)}' for term in terms])
        if len(terms) == 1:
            return [f'{self._d(node)} = {symbols} = {numbers} = {format_number(total)}']
        indent = ' ' * len(self._d(node))
        products = _joined([format_number(term.product) for term in terms])
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
        for term in terms:
            groups.setdefault(term.group, []).append(term)
        lines = [f'{self._d(node)} = the sum of {len(terms)} chain-rule terms, one per use of {self._name(node)}:']
        for group, members in groups.items():
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
        return _folded(op, _render_rule(tree.left, names, numbers), _render_rule(tree.right, names, numbers))
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


_ARITHMETIC = {'+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv, '**': operator.pow}


def _folded(op: str, left: Text, right: Text) -> Text:
    """``left op right`` as a person writes it: numbers worked out (2 - 1 is 1), then x**1 and 1*x are x."""
    a, b = _literal(left[0]), _literal(right[0])
    if a is not None and b is not None:
        try:
            value = float(_ARITHMETIC[op](a, b))
        except (ArithmeticError, ValueError, TypeError):  # 1/0, 10.0**400, (-8)**0.5: left as the rule writes it
            value = math.nan
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15 and '.' not in left[0] + right[0]:
            return _number_text(str(int(value)))
        if math.isfinite(value):
            return _number(value)
    if (op in ('*', '/', '**') and b == 1) or (op in ('+', '-') and b == 0):
        return left
    if (op == '*' and a == 1) or (op == '+' and a == 0):
        return right
    return _binary(op, left, right, spaced=False)


def _literal(text: str) -> float | None:
    """The number a rule's text is, if it is one (2, 1.0, -0.5)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and _NUMBER.fullmatch(text.lstrip('-')) else None


def _number_text(text: str) -> Text:
    return text, (UNARY if text.startswith('-') else ATOM)


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
