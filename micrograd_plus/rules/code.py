"""Backends that write code from the expression form: the chain rule as steps, float code (the engine's
``_backward``, compile_graph's loops and printed programs), code on numbers or Values (``vjp``: grad() to any
order), and the rule written back in its own language (generated docstrings)."""
from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from .form import Bin, BoolOp, Call, Compare, Expr, G, IfExp, Num, Ref, RuleError, Unary, ZeroIf, fold

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
