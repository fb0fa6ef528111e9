"""The rule language as math, for explain(): a rule with the graph's names put in (``1 - o*o``), and a node's
forward (``x1*w1``, ``b + w1*x1 + w2*x2``, ``leaky_relu(x, negative_slope=0.2)``)."""
from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence

from .. import ops
from ..ops import format_constant
from .form import Bin, Call, Expr, IfExp, Num, Ref, Rule, RuleError, Unary, ZeroIf, evaluate, groups, term

# ---------------------------------------------------------------- backend: math text (explain)

ATOM, POWER, UNARY, PRODUCT, SUM, LOOSE = 5, 4, 3, 2, 1, 0   # binding strength, as in Python
STRENGTH = {'+': SUM, '-': SUM, '*': PRODUCT, '/': PRODUCT, '**': POWER}
Text = tuple[str, float]   # an expression's text and how tightly it binds (a labelled formula: half a step less)
NUMBER = re.compile(r'\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan')  # a number as format_number writes it, unsigned
NO_BIAS: Text = ('', ATOM)  # an n-ary node's first operand left out of forward_text (a neuron's bias of 0)


def wrap(operand: Text, needed: float) -> str:
    text, binding = operand
    return text if binding >= needed else f'({text})'


def joined(terms: Sequence[str]) -> str:
    """Terms added as a person writes them: a + -b reads a - b (each term a product: -a*b is -(a*b))."""
    text = terms[0] if terms else '0'
    for added in terms[1:]:
        text += f' - {added[1:]}' if added.startswith('-') else f' + {added}'
    return text


def binary(op: str, left: Text, right: Text, spaced: bool) -> Text:
    """``left op right`` with the parentheses it needs; spaced around + and - always, else when asked;
    a - -1.0 reads a + 1.0."""
    if op in ('+', '-') and UNARY - 0.5 <= right[1] <= UNARY and right[0].startswith('-'):
        op, right = ('-' if op == '+' else '+'), (right[0][1:], ATOM if NUMBER.fullmatch(right[0][1:]) else UNARY)
    strength = STRENGTH[op]
    # ** groups to the right, the others to the left: a - (b - c) keeps its parentheses
    left_needs, right_needs = (strength + 0.5, strength) if op == '**' else (strength, strength + 0.5)
    gap = ' ' if spaced or strength == SUM else ''
    return f'{wrap(left, left_needs)}{gap}{op}{gap}{wrap(right, right_needs)}', strength


def math_text(tree: Expr, names: Mapping[str, Text], numbers: Mapping[str, float], spaced: bool = False,
              folded: bool = False) -> Text:
    """A rule as math with the given names (``1 - out * out`` reads ``1 - o*o``); a test is not written but
    decided on ``numbers``, and the branch they take is shown (relu's 1 or 0; zero_if's E or 0).
    ``folded``: as a person writes it, numbers worked out and x**1, 1*x, x + 0 as x (``2*x``, not
    ``2*x**(2 - 1)``)."""
    def text(node: Expr) -> Text:
        if isinstance(node, Ref):
            return names[node.name]
        if isinstance(node, Num):
            return (format_constant(node.value) if math.isfinite(node.value) else repr(node.value)), ATOM
        if isinstance(node, Unary) and node.op == '-':
            return f'-{wrap(text(node.operand), UNARY)}', UNARY
        if isinstance(node, Bin):
            if folded:
                return folded_binary(node.op, text(node.left), text(node.right))
            return binary(node.op, text(node.left), text(node.right), spaced)
        if isinstance(node, IfExp):
            return text(node.body if decided(node.test) else node.orelse)
        if isinstance(node, ZeroIf):
            return ('0', ATOM) if decided(node.test) else text(node.value)
        if isinstance(node, Call):
            if node.function == 'data':
                return text(node.args[0])
            return f"{node.function}({', '.join(text(arg)[0] for arg in node.args)})", ATOM
        raise RuleError(f'a test is decided, not written: {node!r}')

    def decided(test: Expr) -> bool:
        value = evaluate(test, numbers)
        if value is None:
            raise RuleError(f'cannot decide the test {test!r} of a rule on the numbers {dict(numbers)!r}')
        return bool(value)
    return text(tree)


def forward_text(rule: Rule, operands: Sequence[Text], constants: Sequence[float], spaced: bool) -> Text:
    """A node's forward as math on its operands: ``x1*w1``, ``tanh(n)``, ``x**2``, ``b + w1*x1 + w2*x2``;
    a row whose forward is not a formula of its inputs alone reads as a call, ``leaky_relu(x, 0.2)``."""
    values = dict(zip(rule.constants, constants))
    if rule.nary:  # the first operand (a dot's bias) left out when it is NO_BIAS
        terms = [] if operands[0] == NO_BIAS else [wrap(operands[0], SUM)]
        for group in groups(rule, len(operands))[1:]:
            named = {name: operands[p] for name, p in group.names.items()}
            terms.append(math_text(term(rule), named, {}, spaced)[0])
        return joined(terms), SUM
    names: dict[str, Text] = dict(zip(rule.inputs, operands))
    names.update((name, (format_constant(value), ATOM)) for name, value in values.items())
    forward = rule.forward
    plain = isinstance(forward, (Bin, Unary)) or (
        isinstance(forward, Call) and all(isinstance(arg, Ref) and arg.name in rule.inputs for arg in forward.args))
    if plain:
        return math_text(forward, names, {}, spaced)
    shown = [text for text, _ in operands] + [f"{name}={format_constant(value)}" for name, value, default in
                                              zip(rule.constants, constants, rule.defaults) if value != default]
    return f"{function_name(rule.op)}({', '.join(shown)})", ATOM


ARITHMETIC = {'+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv, '**': operator.pow}


def folded_binary(op: str, left: Text, right: Text) -> Text:
    """``left op right`` as a person writes it: numbers worked out (2 - 1 is 1), then x**1 and 1*x are x."""
    a, b = _literal(left[0]), _literal(right[0])
    if a is not None and b is not None:
        try:
            value = float(ARITHMETIC[op](a, b))
        except (ArithmeticError, ValueError, TypeError):  # 1/0, 10.0**400, (-8)**0.5: left as the rule writes it
            value = math.nan
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15 and '.' not in left[0] + right[0]:
            text = str(int(value))
            return text, (UNARY if text.startswith('-') else ATOM)
        if math.isfinite(value):
            text = format_constant(value)
            return text, (UNARY if text.startswith('-') else ATOM)
    if (op in ('*', '/', '**') and b == 1) or (op in ('+', '-') and b == 0):
        return left
    if (op == '*' and a == 1) or (op == '+' and a == 0):
        return right
    return binary(op, left, right, spaced=False)


def _literal(text: str) -> float | None:
    """The number a rule's text is, if it is one (2, 1.0, -0.5)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and NUMBER.fullmatch(text.lstrip('-')) else None


def function_name(op: ops.Op) -> str:
    """How an op is called as a function: its method (``leaky_relu``), else its name."""
    method = op.method or ''
    return method if method.isidentifier() and not method.startswith('_') else op.name.replace('{c}', '')


# ---------------------------------------------------------------- what the table offers as functions

def unary_functions(table: Sequence[ops.Op] = ops.TABLE) -> dict[str, ops.Op]:
    """The rows a formula can call by name (``tanh(x)``, ``clamp(x, min=0)``): one input, a plain method."""
    return {op.method: op for op in table if op.arity == 1 and not op.repeat and op.method
            and not op.method.startswith('_')}
