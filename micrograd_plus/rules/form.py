"""The expression form of the rule language, its parser, and what reads a parsed row: its groups of
inputs (an n-ary row), its forward as one tree, and arithmetic and tests on known numbers."""
from __future__ import annotations

import ast
import functools
import inspect
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import ops

MAX_RULE = 1000  # characters: a rule is a line of math

# ---------------------------------------------------------------- the expression form


@dataclass(frozen=True)
class Num:
    """A number written in the rule: ``1``, ``0.5``, ``inf``."""
    value: float


@dataclass(frozen=True)
class Ref:
    """A name: an input (``x``), ``out``, a constant of the op (``alpha``), or ``g`` (what arrives from above)."""
    name: str


@dataclass(frozen=True)
class Call:
    """A function of ops.FUNCTIONS, or ``data`` (the number in a Value, for tests)."""
    function: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or 'not'
    operand: Expr


@dataclass(frozen=True)
class Bin:
    op: str  # + - * / **
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # 'and' or 'or'
    values: tuple[Expr, ...]


@dataclass(frozen=True)
class IfExp:
    test: Expr
    body: Expr
    orelse: Expr


@dataclass(frozen=True)
class ZeroIf:
    """``zero_if(test, E)``: E, except that where ``test`` holds the input gets nothing (see ops.py)."""
    test: Expr
    value: Expr


Expr = Num | Ref | Call | Unary | Bin | Compare | BoolOp | IfExp | ZeroIf
G = Ref('g')

_BINARY = {ast.Add: '+', ast.Sub: '-', ast.Mult: '*', ast.Div: '/', ast.Pow: '**'}
_COMPARE = {ast.Eq: '==', ast.NotEq: '!=', ast.Lt: '<', ast.LtE: '<=', ast.Gt: '>', ast.GtE: '>='}
_REFUSED = {
    ast.Attribute: 'attribute access (a.b)', ast.Subscript: 'subscripts (a[i])', ast.Lambda: 'lambda',
    ast.ListComp: 'comprehensions', ast.GeneratorExp: 'comprehensions', ast.SetComp: 'comprehensions',
    ast.DictComp: 'comprehensions', ast.NamedExpr: "':='", ast.Starred: "'*' unpacking", ast.List: 'lists',
    ast.Tuple: 'tuples', ast.Set: 'sets', ast.Dict: 'dicts', ast.JoinedStr: 'f-strings', ast.Await: "'await'",
}


class RuleError(ValueError):
    """A rule outside the grammar: the message says what was met and what a rule may use."""


# ---------------------------------------------------------------- the parser

@functools.cache
def _function_arity(name: str) -> int:
    return len(inspect.signature(getattr(ops, f'f_{name}')).parameters)


class _Reader:
    def __init__(self, text: str, names: Sequence[str], constants: Sequence[str], what: str) -> None:
        self.text, self.names, self.constants, self.what = text, tuple(names), tuple(constants), what

    def error(self, problem: str) -> RuleError:
        allowed = ', '.join(self.names + self.constants)
        return RuleError(f'{self.what} {self.text!r}: {problem}. A rule may use numbers, {allowed}, + - * / **, '
                         f'comparisons, and/or/not, A if test else B, data(e), zero_if(test, E) and the functions '
                         f'{", ".join(ops.FUNCTIONS)}')

    def read(self, node: ast.expr, top: bool = False) -> Expr:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.error(f'{node.value!r} is not a number')
            return Num(node.value if isinstance(node.value, float) or abs(node.value) < 2 ** 53 else float(node.value))
        if isinstance(node, ast.Name):
            if node.id in ('inf', 'nan'):
                return Num(math.inf if node.id == 'inf' else math.nan)
            if node.id in self.names or node.id in self.constants:
                return Ref(node.id)
            if node.id in ops.FUNCTIONS or node.id in ('data', 'zero_if'):
                raise self.error(f'{node.id} is a function: call it, like {node.id}(x)')
            raise self.error(f'unknown name {node.id!r}')
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.read(node.operand)
            if isinstance(node.op, (ast.USub, ast.Not)):
                return Unary('-' if isinstance(node.op, ast.USub) else 'not', self.read(node.operand))
            raise self.error("'~' is not an operator of the rules")
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise self.error('the operators are + - * / **')
            return Bin(_BINARY[type(node.op)], self.read(node.left), self.read(node.right))
        if isinstance(node, ast.Compare):
            sides = [self.read(node.left)] + [self.read(c) for c in node.comparators]
            tests: list[Expr] = []
            for op, left, right in zip(node.ops, sides, sides[1:]):
                if type(op) not in _COMPARE:
                    raise self.error('the comparisons are == != < <= > >=')
                tests.append(Compare(_COMPARE[type(op)], left, right))
            return tests[0] if len(tests) == 1 else BoolOp('and', tuple(tests))
        if isinstance(node, ast.BoolOp):
            return BoolOp('and' if isinstance(node.op, ast.And) else 'or', tuple(map(self.read, node.values)))
        if isinstance(node, ast.IfExp):
            return IfExp(self.read(node.test), self.read(node.body, top), self.read(node.orelse, top))
        if isinstance(node, ast.Call):
            return self.call(node, top)
        raise self.error(f'{_REFUSED.get(type(node), type(node).__name__ + " expressions")} not allowed')

    def call(self, node: ast.Call, top: bool) -> Expr:
        if not isinstance(node.func, ast.Name):
            raise self.error('only the functions can be called, by name (like exp(x))')
        name = node.func.id
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.error(f'{name}() takes its arguments by position')
        if name == 'zero_if':
            if not top:
                raise self.error('zero_if(test, E) must be a whole derivative (or a branch of one)')
            if len(node.args) != 2:
                raise self.error(f'zero_if takes a test and an expression, got {len(node.args)} arguments')
            return ZeroIf(self.read(node.args[0]), self.read(node.args[1]))
        if name != 'data' and name not in ops.FUNCTIONS:
            raise self.error(f'unknown function {name!r}')
        arity = 1 if name == 'data' else _function_arity(name)
        if len(node.args) != arity:
            raise self.error(f'{name}() takes {arity} argument{"s" if arity > 1 else ""}, got {len(node.args)}')
        return Call(name, tuple(self.read(arg) for arg in node.args))


def parse(text: str, names: Sequence[str], constants: Sequence[str] = (), what: str = 'the rule',
          derivative: bool = False) -> Expr:
    """A rule as an expression tree, or a RuleError that says what in it the grammar does not define.
    ``names`` are the inputs (and ``out`` in a derivative), ``constants`` the op's named constants."""
    if not isinstance(text, str):
        raise TypeError(f'{what} is an expression written as a string, like "1 - out * out", got {text!r}')
    if len(text) > MAX_RULE:
        raise RuleError(f'{what} is {len(text):,} characters long; a rule is a line of math (at most {MAX_RULE:,})')
    try:
        tree = ast.parse(text.strip(), mode='eval').body
    except SyntaxError as error:
        raise RuleError(f'{what} {text!r} is not an expression ({error.msg})') from None
    return _Reader(text, names, constants, what).read(tree, top=derivative)


class Rule(NamedTuple):
    """A row of the table, parsed: its forward and one derivative per input, as expression trees."""
    op: ops.Op
    forward: Expr
    grads: tuple[Expr, ...]
    inputs: tuple[str, ...]
    constants: tuple[str, ...]
    defaults: tuple[float, ...]

    @property
    def nary(self) -> bool:
        return self.op.repeat > 0


def check_op(op: ops.Op) -> Rule:
    """A row parsed, or a clear error for one that cannot become code (a rule outside the grammar, a name
    used twice, a wrong number of rules)."""
    if not isinstance(op, ops.Op):
        raise TypeError(f"expected an Op, e.g. Op('cube', 'x ** 3', ('3 * x ** 2',)), got {op!r}")
    if not isinstance(op.name, str) or not op.name.strip():
        raise ValueError(f"an op needs a name (its _op string, like 'cube'), got {op.name!r}")
    if not isinstance(op.grads, tuple) or not all(isinstance(rule, str) for rule in op.grads):
        raise TypeError(f"{op.name!r}: the rules are a tuple of strings, one per input, like ('3 * x ** 2',), "
                        f'got {op.grads!r}')
    if not isinstance(op.constants, tuple) or not all(
            isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], str) and isinstance(c[1], (int, float))
            and not isinstance(c[1], bool) for c in op.constants):
        raise TypeError(f"{op.name!r}: constants are (name, default number) pairs, like (('alpha', 1.0),), "
                        f'got {op.constants!r}')
    inputs = op.input_names
    constants = tuple(name for name, _ in op.constants)
    if not isinstance(op.repeat, int) or not 0 <= op.repeat < len(op.grads) or (
            not op.repeat and len(op.grads) not in (1, 2)):
        raise ValueError(f'{op.name!r}: give one rule per input (1 or 2 inputs), got {len(op.grads)}: {op.grads!r}')
    if len(inputs) != len(op.grads):
        raise ValueError(f'{op.name!r}: {len(inputs)} input names {inputs!r} for {len(op.grads)} rules')
    names = inputs + constants
    for name in names:
        if not name.isidentifier() or name in ('out', 'g', 'inf', 'nan', 'data', 'zero_if') \
                or name in ops.FUNCTIONS or name.startswith('_'):
            raise ValueError(f'{op.name!r}: {name!r} cannot name an input or a constant: use a plain name like alpha')
    if len(set(names)) != len(names):
        raise ValueError(f'{op.name!r}: the names of its inputs and constants must differ, got {names!r}')
    forward = parse(op.forward, inputs, constants, f'{op.name!r}: the forward')
    grads = tuple(parse(rule, inputs + ('out',), constants, f'{op.name!r}: d/d{name}', derivative=True)
                  for name, rule in zip(inputs, op.grads))
    if op.repeat and not (isinstance(forward, Bin) and forward.op == '+' and forward.left == Ref(inputs[0])
                          and len(inputs) == op.repeat + 1):
        raise ValueError(f'{op.name!r}: an n-ary forward is `first + term` with one first input, like '
                         f"'bias + w * x', got {op.forward!r}")
    return Rule(op, forward, grads, inputs, constants, tuple(float(d) for _, d in op.constants))


@functools.cache
def rule_of(op: ops.Op) -> Rule:
    """The row, parsed once."""
    return check_op(op)


def float_functions(rule: Rule) -> set[str]:
    """The functions of ops.py its float code calls: ``f_exp``..., ``f_div`` and ``f_pow`` for / and **, and
    ``inf``/``nan`` where it writes them."""
    names: set[str] = set()
    for tree in (rule.forward, *rule.grads):
        for node in walk(tree):
            if isinstance(node, Call) and node.function != 'data':
                names.add(f'f_{node.function}')
            elif isinstance(node, Bin) and node.op in ('/', '**'):
                names.add('f_div' if node.op == '/' else 'f_pow')
            elif isinstance(node, Num) and not math.isfinite(node.value):
                names.add('inf' if node.value == node.value else 'nan')
    return names


def walk(tree: Expr) -> list[Expr]:
    """Every node of the tree."""
    out = [tree]
    for node in out:
        out.extend(children(node))
    return out


def children(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, (Bin, Compare)):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.values
    if isinstance(node, IfExp):
        return (node.test, node.body, node.orelse)
    if isinstance(node, ZeroIf):
        return (node.test, node.value)
    return ()


def names_used(*trees: Expr) -> set[str]:
    return {node.name for tree in trees for node in walk(tree) if isinstance(node, Ref)}


# ---------------------------------------------------------------- n-ary rows: one decomposition

class Group(NamedTuple):
    """The inputs of an n-ary node that one part of its rule reads: names -> positions, and the rules
    (position, derivative) of those inputs."""
    names: dict[str, int]
    grads: list[tuple[int, Expr]]


def groups(rule: Rule, width: int) -> list[Group]:
    """A node's inputs in the groups its rule reads them: one group for a row of fixed arity; for an n-ary
    row its first input, then each repeated group (dot: bias, then (w1, x1), (w2, x2)...)."""
    if not rule.nary:
        return [Group(dict(zip(rule.inputs, range(width))), list(enumerate(rule.grads)))]
    first, size = rule.inputs[0], rule.op.repeat
    found = [Group({first: 0}, [(0, rule.grads[0])])]
    for start in range(1, width, size):
        names = {name: start + k for k, name in enumerate(rule.inputs[1:])}
        found.append(Group(names, [(start + k, grad) for k, grad in enumerate(rule.grads[1:])]))
    return found


def term(rule: Rule) -> Expr:
    """What an n-ary row adds per group (dot: ``w * x``)."""
    assert isinstance(rule.forward, Bin)
    return rule.forward.right


def forward_tree(rule: Rule, width: int) -> Expr:
    """The forward of a node of ``width`` inputs as one tree over the names ``_0, _1, ...`` (its input
    positions); an n-ary row summed left to right exactly as the engine adds: ((bias + w1*x1) + w2*x2) + ..."""
    parts = groups(rule, width)
    if not rule.nary:
        return substitute(rule.forward, {name: Ref(f'_{p}') for name, p in parts[0].names.items()})
    total: Expr = Ref('_0')
    for group in parts[1:]:
        total = Bin('+', total, substitute(term(rule), {name: Ref(f'_{p}') for name, p in group.names.items()}))
    return total


def substitute(tree: Expr, env: Mapping[str, Expr]) -> Expr:
    """The tree with names replaced by trees."""
    if isinstance(tree, Ref):
        return env.get(tree.name, tree)
    if isinstance(tree, Num):
        return tree
    if isinstance(tree, Call):
        return Call(tree.function, tuple(substitute(a, env) for a in tree.args))
    if isinstance(tree, Unary):
        return Unary(tree.op, substitute(tree.operand, env))
    if isinstance(tree, Bin):
        return Bin(tree.op, substitute(tree.left, env), substitute(tree.right, env))
    if isinstance(tree, Compare):
        return Compare(tree.op, substitute(tree.left, env), substitute(tree.right, env))
    if isinstance(tree, BoolOp):
        return BoolOp(tree.op, tuple(substitute(v, env) for v in tree.values))
    if isinstance(tree, IfExp):
        return IfExp(substitute(tree.test, env), substitute(tree.body, env), substitute(tree.orelse, env))
    return ZeroIf(substitute(tree.test, env), substitute(tree.value, env))


# ---------------------------------------------------------------- backend: numbers (evaluate, fold)

_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {'+': operator.add, '-': operator.sub, '*': operator.mul}
_TESTS: dict[str, Callable[[Any, Any], Any]] = {'==': operator.eq, '!=': operator.ne, '<': operator.lt,
                                                 '<=': operator.le, '>': operator.gt, '>=': operator.ge}


def evaluate(tree: Expr, numbers: Mapping[str, float]) -> Any:
    """A test or arithmetic (+ - *, unary -) on the given numbers, or None where it needs something else
    (a name not given, a function, / or **): what explain() decides and compile_graph folds away."""
    if isinstance(tree, Num):
        return tree.value
    if isinstance(tree, Ref):
        return numbers.get(tree.name)
    if isinstance(tree, Call):
        return evaluate(tree.args[0], numbers) if tree.function == 'data' else None
    if isinstance(tree, Unary):
        value = evaluate(tree.operand, numbers)
        return None if value is None else (-value if tree.op == '-' else not value)
    if isinstance(tree, (Bin, Compare)):
        function = (_ARITHMETIC if isinstance(tree, Bin) else _TESTS).get(tree.op)
        left, right = evaluate(tree.left, numbers), evaluate(tree.right, numbers)
        return None if function is None or left is None or right is None else function(left, right)
    if isinstance(tree, BoolOp):
        values = [evaluate(v, numbers) for v in tree.values]
        return None if None in values else (all(values) if tree.op == 'and' else any(values))
    if isinstance(tree, IfExp):
        test = evaluate(tree.test, numbers)
        return None if test is None else evaluate(tree.body if test else tree.orelse, numbers)
    return None


def fold(tree: Expr, numbers: Mapping[str, float]) -> Expr:
    """The tree with the given names as numbers, arithmetic on numbers alone done (as Python does it when
    the code runs: ``2.0 - 1`` is ``1.0``) and tests decided where the numbers decide them."""
    tree = substitute(tree, {name: Num(value) for name, value in numbers.items()})
    return _fold(tree)


def _fold(tree: Expr) -> Expr:
    if isinstance(tree, (Num, Ref)):
        return tree
    if isinstance(tree, IfExp):
        test = _fold(tree.test)
        if isinstance(test, Num):
            return _fold(tree.body if test.value else tree.orelse)
        return IfExp(test, _fold(tree.body), _fold(tree.orelse))
    if isinstance(tree, ZeroIf):
        return ZeroIf(_fold(tree.test), _fold(tree.value))
    folded: Expr = tree
    if isinstance(folded, Bin):
        folded = Bin(folded.op, _fold(folded.left), _fold(folded.right))
    elif isinstance(folded, Unary):
        folded = Unary(folded.op, _fold(folded.operand))
    elif isinstance(folded, Compare):
        folded = Compare(folded.op, _fold(folded.left), _fold(folded.right))
    elif isinstance(folded, BoolOp):
        folded = BoolOp(folded.op, tuple(_fold(v) for v in folded.values))
    elif isinstance(folded, Call):
        folded = Call(folded.function, tuple(_fold(a) for a in folded.args))
    value = evaluate(folded, {})
    if value is None or (isinstance(folded, Call) and folded.function != 'data'):
        return folded
    return Num(value)
