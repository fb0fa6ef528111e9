"""The rule language of the derivative table: each row of ops.py parsed once into a small expression form.

``parse`` reads a rule (``'1 - out * out'``) into a tree of the classes below; ``rule_of(op)`` does it once per
row. Every consumer of the table is a backend over these trees, so none of them reads the rule text again:

- ``float_code``: the rule as float code (an ``ast`` expression: IEEE-safe ``f_div``, ``f_pow``, ``f_exp``...),
  for engine.py's ``_backward`` (``codegen``) and compile_graph's loops and printed programs;
- ``value_code``: the rule as code on numbers or Values (``ops.exp`` dispatches), for ``vjp``: grad() to any order;
- ``updates``: the chain rule of one input as steps (add ``g * rule``; a selected zero as an ``if``), which
  ``float_statements`` writes as statements;
- ``evaluate`` and ``fold``: a test or arithmetic on known numbers (explain() takes the branch the numbers take,
  compile_graph folds a guard on a constant away);
- ``math_text``: a rule as math, for explain() (``1 - o*o``).

The grammar is all a rule may use, and ``parse`` refuses the rest, saying what it met: numbers, the op's input
names, ``out`` (in a derivative), its named constants, ``+ - * / **``, unary ``-``, comparisons, ``and``, ``or``,
``not``, ``A if test else B``, calls of ``ops.FUNCTIONS`` and ``data(e)`` (the number in e, for tests), and
``zero_if(test, E)`` as a whole derivative. No strings, attributes, subscripts, lambdas or other names: a rule
given to register_op becomes code, and only what this grammar defines can get there.
"""
from __future__ import annotations

import ast
import functools
import inspect
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from . import ops
from .ops import format_constant

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


# ---------------------------------------------------------------- backend: the chain rule as steps

@dataclass(frozen=True)
class Add:
    """target += term (``subtract``: target -= term); term is in g."""
    term: Expr
    subtract: bool = False


@dataclass(frozen=True)
class When:
    """The steps of ``then`` where ``test`` holds, else those of ``orelse``."""
    test: Expr
    then: tuple[Step, ...]
    orelse: tuple[Step, ...] = ()


Step = Add | When


def _is(tree: Expr, value: float) -> bool:
    return isinstance(tree, Num) and tree.value == value


def negated(test: Expr) -> Expr:
    """not test; ``a == b`` as ``a != b`` (the same for every float, nan included)."""
    if isinstance(test, Compare) and test.op == '==':
        return Compare('!=', test.left, test.right)
    return Unary('not', test)


def updates(rule: Expr) -> tuple[Step, ...]:
    """How g * rule reaches an input: nothing at all where the rule selects a zero (PyTorch's where()), g
    itself for 1 and -1, ``g / e`` for ``1 / e`` (1/e may overflow where g/e does not), else g * rule."""
    if isinstance(rule, ZeroIf):
        return (When(negated(rule.test), updates(rule.value)),)
    if isinstance(rule, IfExp):
        then, orelse = updates(rule.body), updates(rule.orelse)
        if not then and not orelse:
            return ()
        if not then:
            return (When(negated(rule.test), orelse),)
        return (When(rule.test, then, orelse),)
    if _is(rule, 0):
        return ()
    if _is(rule, 1):
        return (Add(G),)
    if isinstance(rule, Unary) and rule.op == '-' and _is(rule.operand, 1):
        return (Add(G, subtract=True),)
    if isinstance(rule, Bin) and rule.op == '/' and _is(rule.left, 1):
        return (Add(Bin('/', G, rule.right)),)
    return (Add(Bin('*', G, rule)),)


def fold_steps(steps: Sequence[Step], numbers: Mapping[str, float]) -> tuple[Step, ...]:
    """Steps with known numbers put in: a test they decide leaves only its branch (``if 2.0 != 0``)."""
    out: list[Step] = []
    for step in steps:
        if isinstance(step, Add):
            out.append(Add(fold(step.term, numbers), step.subtract))
            continue
        test = fold(step.test, numbers)
        if isinstance(test, Num):
            out += fold_steps(step.then if test.value else step.orelse, numbers)
        else:
            out.append(When(test, fold_steps(step.then, numbers), fold_steps(step.orelse, numbers)))
    return tuple(out)


# ---------------------------------------------------------------- backend: float code and value code

def _number(value: float) -> ast.expr:
    if value != value:
        return ast.Name('nan', ast.Load())
    if math.isinf(value):
        inf = ast.Name('inf', ast.Load())
        return inf if value > 0 else ast.UnaryOp(ast.USub(), inf)
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


_AST_BINARY = {'+': ast.Add, '-': ast.Sub, '*': ast.Mult, '/': ast.Div, '**': ast.Pow}
_AST_COMPARE = {'==': ast.Eq, '!=': ast.NotEq, '<': ast.Lt, '<=': ast.LtE, '>': ast.Gt, '>=': ast.GtE}


class _Code:
    """An expression tree as Python code (an ``ast`` expression), with ``env`` giving the code of each name."""
    prefix = ''

    def __init__(self, env: Mapping[str, ast.expr]) -> None:
        self.env = env

    def call(self, function: str, args: list[ast.expr]) -> ast.expr:
        raise NotImplementedError

    def code(self, tree: Expr) -> ast.expr:
        if isinstance(tree, Num):
            return _number(tree.value)
        if isinstance(tree, Ref):
            if tree.name not in self.env:
                raise KeyError(f'the code of {tree.name!r} is not given')
            return self.env[tree.name]
        if isinstance(tree, Call):
            return self.call(tree.function, [self.code(arg) for arg in tree.args])
        if isinstance(tree, Unary):
            return ast.UnaryOp(ast.USub() if tree.op == '-' else ast.Not(), self.code(tree.operand))
        if isinstance(tree, Bin):
            if tree.op in ('/', '**'):
                return self.call('div' if tree.op == '/' else 'pow', [self.code(tree.left), self.code(tree.right)])
            return ast.BinOp(self.code(tree.left), _AST_BINARY[tree.op](), self.code(tree.right))
        if isinstance(tree, Compare):
            return ast.Compare(self.code(tree.left), [_AST_COMPARE[tree.op]()], [self.code(tree.right)])
        if isinstance(tree, BoolOp):
            return ast.BoolOp(ast.And() if tree.op == 'and' else ast.Or(), [self.code(v) for v in tree.values])
        if isinstance(tree, IfExp):
            return ast.IfExp(self.code(tree.test), self.code(tree.body), self.code(tree.orelse))
        return ast.IfExp(self.code(tree.test), ast.Constant(0.0), self.code(tree.value))  # zero_if as a value


class _Floats(_Code):
    def call(self, function: str, args: list[ast.expr]) -> ast.expr:
        if function == 'data':
            return args[0]
        return ast.Call(ast.Name(f'f_{function}', ast.Load()), args, [])


class _Values(_Code):
    def call(self, function: str, args: list[ast.expr]) -> ast.expr:
        return ast.Call(ast.Attribute(ast.Name('ops', ast.Load()), function, ast.Load()), args, [])


class _Source(_Code):
    def code(self, tree: Expr) -> ast.expr:
        if isinstance(tree, Ref):
            return ast.Name(tree.name, ast.Load())
        if isinstance(tree, Bin) and tree.op in ('/', '**'):
            return ast.BinOp(self.code(tree.left), _AST_BINARY[tree.op](), self.code(tree.right))
        if isinstance(tree, ZeroIf):
            return self.call('zero_if', [self.code(tree.test), self.code(tree.value)])
        return super().code(tree)

    def call(self, function: str, args: list[ast.expr]) -> ast.expr:
        return ast.Call(ast.Name(function, ast.Load()), args, [])


def source_text(tree: Expr) -> str:
    """The tree written back in the rule language, from the tree (never the text it came from): what
    generated docstrings show, so nothing but the grammar reaches generated code."""
    return ast.unparse(_Source({}).code(tree))


def float_code(tree: Expr, env: Mapping[str, ast.expr]) -> ast.expr:
    """The tree as float code: ``f_div``/``f_pow`` for / and **, ``f_exp``... for functions, ``data(x)`` is x.
    ``env`` gives the code of each name (``x`` -> ``a.data``, or ``v[s0]`` in a compiled loop)."""
    return _Floats(env).code(tree)


def value_code(tree: Expr, env: Mapping[str, ast.expr]) -> ast.expr:
    """The tree as code on numbers or Values: ``ops.div``, ``ops.exp``... dispatch on what they get."""
    return _Values(env).code(tree)


def names_env(*names: str) -> dict[str, ast.expr]:
    """Each name as the variable of that name."""
    return {name: ast.Name(name, ast.Load()) for name in names}


def float_statements(steps: Sequence[Step], target: ast.expr, env: Mapping[str, ast.expr],
                     augmented: bool = True) -> list[ast.stmt]:
    """Steps as float statements adding to ``target``: ``a.grad += g * y``, or with ``augmented=False``
    ``d[s0] = d[s0] + g * v[s1]`` (the same float operations; in CPython faster on a list entry)."""
    statements: list[ast.stmt] = []
    for step in steps:
        if isinstance(step, When):
            body = float_statements(step.then, target, env, augmented) or [ast.Pass()]
            statements.append(ast.If(float_code(step.test, env), body,
                                     float_statements(step.orelse, target, env, augmented)))
            continue
        op = ast.Sub() if step.subtract else ast.Add()
        value = float_code(step.term, env)
        if augmented:
            statements.append(ast.AugAssign(cast('ast.Name', target), op, value))
        else:
            statements.append(ast.Assign([target], ast.BinOp(target, op, value), lineno=0))
    return statements


def contribution(rule: Expr, env: Mapping[str, ast.expr]) -> ast.expr:
    """What an input gets, g times the rule, as code on numbers or Values: None where the rule selects zero
    (nothing passes, not even 0 * nan), g for 1, ``ops.div(g, e)`` for ``1 / e``. A whole-rule zero_if is
    written by ``vjp_lines``."""
    if isinstance(rule, IfExp):
        return ast.IfExp(value_code(rule.test, env), contribution(rule.body, env), contribution(rule.orelse, env))
    if isinstance(rule, ZeroIf):
        raise RuleError('zero_if(test, E) must be a whole derivative')
    if _is(rule, 0):
        return ast.Constant(None)
    steps = updates(rule)
    assert len(steps) == 1 and isinstance(steps[0], Add)
    step = steps[0]
    code = value_code(step.term, env)
    return ast.UnaryOp(ast.USub(), code) if step.subtract else code


def vjp_lines(rule: Expr, target: str, env: Mapping[str, ast.expr]) -> list[str]:
    """Lines setting ``target`` to what an input gets (see contribution), a branch of the rule as an ``if``; a
    ``zero_if`` keeps the term only where it is finite (``ops.guarded``), as PyTorch's where() selects 0 there."""
    if isinstance(rule, IfExp):
        body, orelse = vjp_lines(rule.body, target, env), vjp_lines(rule.orelse, target, env)
        lines = [f'if {ast.unparse(value_code(rule.test, env))}:'] + ['    ' + line for line in body]
        if orelse[0].startswith('if '):  # else: if ... reads elif ...
            return lines + ['el' + orelse[0]] + orelse[1:]
        return lines + ['else:'] + ['    ' + line for line in orelse]
    if not isinstance(rule, ZeroIf):
        return [f'{target} = {ast.unparse(contribution(rule, env))}']
    return [f'{target} = {ast.unparse(contribution(rule.value, env))}',
            f'if {ast.unparse(value_code(rule.test, env))}:',
            f'    {target} = ops.guarded({target}, as_values)']


# ---------------------------------------------------------------- backend: math text (explain)

ATOM, POWER, UNARY, PRODUCT, SUM, LOOSE = 5, 4, 3, 2, 1, 0   # binding strength, as in Python
STRENGTH = {'+': SUM, '-': SUM, '*': PRODUCT, '/': PRODUCT, '**': POWER}
Text = tuple[str, float]   # an expression's text and how tightly it binds (a labelled formula: half a step less)


def wrap(operand: Text, needed: float) -> str:
    text, binding = operand
    return text if binding >= needed else f'({text})'


def binary(op: str, left: Text, right: Text, spaced: bool) -> Text:
    """``left op right`` with the parentheses it needs; spaced around + and - always, else when asked."""
    strength = STRENGTH[op]
    # ** groups to the right, the others to the left: a - (b - c) keeps its parentheses
    left_needs, right_needs = (strength + 0.5, strength) if op == '**' else (strength, strength + 0.5)
    gap = ' ' if spaced or strength == SUM else ''
    return f'{wrap(left, left_needs)}{gap}{op}{gap}{wrap(right, right_needs)}', strength


def math_text(tree: Expr, names: Mapping[str, Text], numbers: Mapping[str, float], spaced: bool = False) -> Text:
    """A rule as math with the given names (``1 - out * out`` reads ``1 - o*o``); a test is not written but
    decided on ``numbers``, and the branch they take is shown (relu's 1 or 0; zero_if's E or 0)."""
    def text(node: Expr) -> Text:
        if isinstance(node, Ref):
            return names[node.name]
        if isinstance(node, Num):
            return (format_constant(node.value) if math.isfinite(node.value) else repr(node.value)), ATOM
        if isinstance(node, Unary) and node.op == '-':
            return f'-{wrap(text(node.operand), UNARY)}', UNARY
        if isinstance(node, Bin):
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
    if rule.nary:
        terms = [wrap(operands[0], SUM)]
        for group in groups(rule, len(operands))[1:]:
            named = {name: operands[p] for name, p in group.names.items()}
            terms.append(math_text(term(rule), named, {}, spaced)[0])
        return ' + '.join(terms), SUM
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


def function_name(op: ops.Op) -> str:
    """How an op is called as a function: its method (``leaky_relu``), else its name."""
    method = op.method or ''
    return method if method.isidentifier() and not method.startswith('_') else op.name.replace('{c}', '')


# ---------------------------------------------------------------- what the table offers as functions

def unary_functions(table: Sequence[ops.Op] = ops.TABLE) -> dict[str, ops.Op]:
    """The rows a formula can call by name (``tanh(x)``, ``clamp(x, min=0)``): one input, a plain method."""
    return {op.method: op for op in table if op.arity == 1 and not op.repeat and op.method
            and not op.method.startswith('_')}
