"""Writes the engine's op code from the derivative table (``ops.py``) into ``engine.py``.

    python micrograd_plus/codegen.py            rewrite the generated blocks of engine.py (make generate)
    python micrograd_plus/codegen.py --check    exit 1 if they differ from what the table gives

Run as a file, it loads ops.py alone, not the package, so it works even while engine.py is broken.

Like PyTorch's ``derivatives.yaml``, the table is the one place a derivative is written, and the code
that runs is generated from it once, at development time, into a file you can read, grep, debug and
type-check; nothing is compiled when the library is imported. A test fails when the checked-in code
and the table disagree.

Two blocks are generated, each between marker lines:

- ``operators``, inside ``class Value``: one method per op (``__mul__``, ``tanh``...) that computes the
  forward number and records the result node;
- ``nodes``, after it: one node class per op, with its float ``_backward`` (the fast first-order chain
  rule, ``a.grad += g * y``) and ``vjp`` (what each input gets, on numbers or on Values: grad() to any order).
"""
from __future__ import annotations

import ast
import importlib.util
import math
import operator
import pathlib
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

if __package__:
    from . import ops
else:  # run as a file: ops.py needs nothing from the package
    _spec = importlib.util.spec_from_file_location('micrograd_plus_ops', pathlib.Path(__file__).with_name('ops.py'))
    assert _spec is not None and _spec.loader is not None
    ops = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(ops)
Op = ops.Op

ENGINE = pathlib.Path(__file__).with_name('engine.py')
BEGIN = '# ---- begin generated {name}: edit ops.py and run `make generate`, not this ----'
END = '# ---- end generated {name} ----'

CLASS_NAMES = {'+': '_Add', '-': '_Sub', '*': '_Mul', '/': '_Div', '**': '_Pow', 'neg': '_Neg', 'abs': '_Abs',
               'ReLU': '_Relu'}
NAMES_IN_SCOPE = ["# In each _backward: g is this node's grad, a and b its input nodes, x and y their numbers,",
                  '# out its own. vjp gives the same to grad(): on numbers, or on Values (as_values=True) so that',
                  '# gradients can be differentiated again.',
                  '']


def class_name(op: Op) -> str:
    """The node class of an op: ``_Mul`` for ``*``, ``_Tanh`` for ``tanh``."""
    return CLASS_NAMES.get(op.name, '_' + op.name.capitalize())


# ---------------------------------------------------------------- rules as code

def _is_zero(tree: ast.expr) -> bool:
    return isinstance(tree, ast.Constant) and tree.value == 0


def _guard(tree: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """(test, E) of ``zero_if(test, E)``, else None."""
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == 'zero_if':
        test, value = tree.args
        return test, value
    return None


class _OnFloats(ast.NodeTransformer):
    """A rule as float code: IEEE-safe ``f_div``/``f_pow``, ``f_exp``..., ``data(x)`` is just ``x``."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ''
        if name == 'data':
            return node.args[0]
        if name == 'zero_if':  # as a value (not at the top of a rule): 0 where the test holds
            test, value = node.args
            return ast.IfExp(test, ast.Constant(0.0), value)
        if name not in ops.FUNCTIONS:
            called = name or ast.unparse(node.func)
            raise ValueError(f'a rule calls {called}(); rules may call {", ".join(ops.FUNCTIONS)}')
        return ast.Call(ast.Name(f'f_{name}', ast.Load()), node.args, [])

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, (ast.Div, ast.Pow)):
            function = 'f_div' if isinstance(node.op, ast.Div) else 'f_pow'
            return ast.Call(ast.Name(function, ast.Load()), [node.left, node.right], [])
        return node


class _OnValues(ast.NodeTransformer):
    """A rule as code on floats or Values (``ops.exp`` dispatches); a selected zero becomes None."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        assert isinstance(node.func, ast.Name)
        if node.func.id == 'zero_if':  # E where the test fails; where it holds, E only if finite
            test, value = node.args
            kept = ast.Call(ast.Attribute(ast.Name('ops', ast.Load()), 'guarded', ast.Load()),
                            [value, ast.Name('as_values', ast.Load())], [])
            return ast.IfExp(test, kept, value)
        return ast.Call(ast.Attribute(ast.Name('ops', ast.Load()), node.func.id, ast.Load()), node.args, [])

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, (ast.Div, ast.Pow)):
            function = 'div' if isinstance(node.op, ast.Div) else 'pow'
            return ast.Call(ast.Attribute(ast.Name('ops', ast.Load()), function, ast.Load()),
                            [node.left, node.right], [])
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        for branch in ('body', 'orelse'):
            if _is_zero(getattr(node, branch)):
                setattr(node, branch, ast.Constant(None))
        return node


_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                                       ast.Mult: operator.mul}
_COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge}
_CONSTANTS = {'inf': math.inf, 'nan': math.nan}


def evaluate(tree: ast.AST, numbers: Mapping[str, float] | None = None) -> Any:
    """A rule's test or arithmetic on numbers (``data(y) != 0``, ``2.0 - 1``) with ``numbers`` for its names,
    or None where it reads a name they do not give: what explain() shows and compile_graph folds away."""
    known = {**_CONSTANTS, **(numbers or {})}

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            return known.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'data' \
                and len(node.args) == 1:
            return value(node.args[0])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            operand = value(node.operand)
            return None if operand is None else (-operand if isinstance(node.op, ast.USub) else not operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right = value(node.left), value(node.right)
            return None if left is None or right is None else _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node, ast.BoolOp):
            values = [value(v) for v in node.values]
            return None if None in values else (all(values) if isinstance(node.op, ast.And) else any(values))
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARISONS for op in node.ops):
            sides = [value(node.left)] + [value(c) for c in node.comparators]
            if None in sides:
                return None
            return all(_COMPARISONS[type(op)](a, b) for op, a, b in zip(node.ops, sides, sides[1:]))
        return None
    return value(tree)


def parse_rule(rule: str) -> ast.expr:
    return ast.parse(rule, mode='eval').body


def float_code(rule: str) -> str:
    return ast.unparse(_OnFloats().visit(parse_rule(rule)))


def value_code(rule: str) -> str:
    return ast.unparse(_OnValues().visit(parse_rule(rule)))


def names_used(rules: tuple[str, ...] | list[str]) -> set[str]:
    return {node.id for rule in rules for node in ast.walk(parse_rule(rule)) if isinstance(node, ast.Name)}


def chain_rule(node: str, rule: str) -> list[str]:
    """Lines adding g * (d out / d input) to the grad of ``node``. A selected zero adds nothing at all
    (PyTorch's where()), 1 and -1 add g itself, and ``1 / e`` divides g (1/e may overflow where g/e does not)."""
    tree = parse_rule(rule)
    guard = _guard(tree)
    if guard is not None:
        return [f'if {_negated(guard[0])}:'] + ['    ' + line for line in chain_rule(node, ast.unparse(guard[1]))]
    if isinstance(tree, ast.IfExp) and (_is_zero(tree.body) or _is_zero(tree.orelse)):
        kept = tree.orelse if _is_zero(tree.body) else tree.body
        condition = f'if {_negated(tree.test)}:' if _is_zero(tree.body) else f'if {float_code(ast.unparse(tree.test))}:'
        return [condition] + ['    ' + line for line in chain_rule(node, ast.unparse(kept))]
    if isinstance(tree, ast.Constant) and tree.value == 1:
        return [f'{node}.grad += g']
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub) and isinstance(tree.operand, ast.Constant) \
            and tree.operand.value == 1:
        return [f'{node}.grad -= g']
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div) and isinstance(tree.left, ast.Constant) \
            and tree.left.value == 1:
        return [f'{node}.grad += f_div(g, {float_code(ast.unparse(tree.right))})']
    code = _OnFloats().visit(tree)
    text = ast.unparse(code)
    if not isinstance(code, (ast.Name, ast.Call, ast.Attribute, ast.Constant)):
        text = f'({text})'
    return [f'{node}.grad += g * {text}']


def _negated(test: ast.expr) -> str:
    """``not (test)`` as float code; ``a == b`` becomes ``a != b`` (the same for every float, nan included)."""
    test = _OnFloats().visit(test)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        return ast.unparse(ast.Compare(test.left, [ast.NotEq()], test.comparators))
    return f'not ({ast.unparse(test)})'


def _reads(rules: tuple[str, ...] | list[str], sources: dict[str, str]) -> list[str]:
    used = names_used(rules)
    return [f'{name} = {source}' for name, source in sources.items() if name in used]


def _docstring(lines: list[str], indent: str) -> list[str]:
    """A docstring of one line, or of several with the closing quotes on their own line."""
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}'] + [indent + line for line in lines[1:]] + [f'{indent}"""']


def _math(op: Op, names: tuple[str, ...], where: str = '') -> list[str]:
    return [f'd/d{name} = {rule}{where}' for name, rule in zip(names, op.grads)]


def contribution_code(rule: str) -> str:
    """g times a rule, as code on floats or Values: what each input gets, as ``chain_rule`` adds it. None
    where the rule selects zero (nothing passes, not even 0 * nan); ``g / E`` for a rule ``1 / E``."""
    tree = parse_rule(rule)
    if _guard(tree) is not None:
        raise ValueError(f'zero_if() must be a whole rule, as in ops.POW: {rule!r}')
    if isinstance(tree, ast.IfExp) and (_is_zero(tree.body) or _is_zero(tree.orelse)):
        test = value_code(ast.unparse(tree.test))
        if _is_zero(tree.body):
            return f'None if {test} else {contribution_code(ast.unparse(tree.orelse))}'
        return f'{contribution_code(ast.unparse(tree.body))} if {test} else None'
    if isinstance(tree, ast.Constant) and tree.value == 1:
        return 'g'
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub) and isinstance(tree.operand, ast.Constant) \
            and tree.operand.value == 1:
        return '-g'
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div) and isinstance(tree.left, ast.Constant) \
            and tree.left.value == 1:
        return f'ops.div(g, {value_code(ast.unparse(tree.right))})'
    code = _OnValues().visit(tree)
    text = ast.unparse(code)
    if not isinstance(code, (ast.Name, ast.Call, ast.Attribute, ast.Constant)):
        text = f'({text})'
    return f'g * {text}'


def contribution_lines(rule: str, target: str) -> list[str]:
    """Lines setting ``target`` to what an input gets (see contribution_code); a ``zero_if`` guard keeps the
    term only where it is finite (``ops.guarded``), as PyTorch's where() selects 0 there."""
    guard = _guard(parse_rule(rule))
    if guard is None:
        return [f'{target} = {contribution_code(rule)}']
    test, kept = guard
    return [f'{target} = {contribution_code(ast.unparse(kept))}',
            f'if {value_code(ast.unparse(test))}:',
            f'    {target} = ops.guarded({target}, as_values)']


def _vjp(operands: str, rules: tuple[str, ...], indent: str = '        ') -> list[str]:
    """The body of vjp: read the operands the rules use, then what each input gets."""
    names = _unused(operands, rules)
    lines = [f'{names} = self.rule_inputs(as_values)'] if names.strip('_, ') else []
    if all(_guard(parse_rule(rule)) is None for rule in rules):  # one expression each: return them at once
        codes = [contribution_code(rule) for rule in rules]
        lines.append(f'return ({codes[0]},)' if len(codes) == 1 else f'return ({", ".join(codes)})')
    else:
        targets = [f'to_{name}' for name in 'xy'[:len(rules)]]
        for rule, target in zip(rules, targets):
            lines += contribution_lines(rule, target)
        lines.append(f'return ({targets[0]},)' if len(targets) == 1 else f'return ({", ".join(targets)})')
    return [indent + line for line in lines]


VJP = '    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:'


# ---------------------------------------------------------------- the operators block (methods of Value)

def _forward(op: Op, **numbers: str) -> str:
    """The op's forward expression as float code, on the given numbers (``self.data``, ``b.data``)."""
    tree = _OnFloats().visit(parse_rule(op.forward))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in numbers:
            node.id = numbers[node.id]
    return ast.unparse(tree)


def _record(cls: str, inputs: tuple[str, str], indent: str, constant: str | None = None) -> list[str]:
    """Make the result node: inline on the fast path (no call), through _record otherwise."""
    a, b = inputs
    lines = ['if _plain:', f'    out = _new({cls})', '    out.data = data', '    out.grad = 0.0',
             "    out.label = ''", f'    out._a = {a}', f'    out._b = {b}']
    if constant:
        lines.append(f'    out._c = {constant}')
    lines += ['    return out', f'return _record({cls}, data, {a}, {b}{", " + constant if constant else ""})']
    return [indent + line for line in lines]


def _binary_method(op: Op, method: str, reflected: bool, cls: str | None = None) -> list[str]:
    a, b = ('other', 'self') if reflected else ('self', 'other')
    lift = 'a' if reflected else 'b'
    lines = [f'def {method}(self, other: Operand) -> Value:',
             f'    """{op.forward}{", for a number x" if reflected else ""}"""',
             f'    {lift} = other if isinstance(other, Value) else _lift(other)',
             f'    if {lift} is None:',
             '        return NotImplemented']
    a, b = ('a', 'self') if reflected else ('self', 'b')
    lines.append(f'    data = {_forward(op, x=f"{a}.data", y=f"{b}.data")}')
    return lines + _record(cls or class_name(op), (a, b), '    ')


def _pow_method(op: Op) -> list[str]:
    """x ** y for a Value y (two inputs), or x ** c for a number c (micrograd's '**2': one input)."""
    return [f'def {op.method}(self, other: Operand) -> Value:',
            f'    """{op.forward}; for a number y, micrograd\'s \'**2\' node, whose only input is x"""',
            '    out: _Pow | _PowConst',
            '    if isinstance(other, Value):',
            f'        data = {_forward(op, x="self.data", y="other.data")}',
            *_record(class_name(op), ('self', 'other'), '        '),
            '    c = _operand(other)',
            '    if c is None:',
            '        return NotImplemented',
            f'    data = {_forward(op, x="self.data", y="c")}',
            *_record('_PowConst', ('self', 'None'), '    ', constant='c')]


def _unary_method(op: Op, cls: str | None = None) -> list[str]:
    return [f'def {op.method}(self) -> Value:',
            f'    """{op.forward}"""',
            f'    data = {_forward(op, x="self.data")}',
            *_record(cls or class_name(op), ('self', 'None'), '    ')]


def operators_block(table: tuple[Op, ...] = ops.TABLE) -> list[str]:
    methods: list[list[str]] = []
    for op in table:
        if op is ops.POW:
            methods.append(_pow_method(op))
        elif op.arity == 2:
            methods.append(_binary_method(op, op.method or '', reflected=False))
        else:
            methods.append(_unary_method(op))
        if op.reflected:
            methods.append(_binary_method(op, op.reflected, reflected=True))
    return _joined(methods, '    ')


# ---------------------------------------------------------------- the nodes block (one class per op)

def _node_class(op: Op, rule: str | None = None, cls: str | None = None) -> list[str]:
    names = ('x', 'y')[:op.arity]
    base = '_BinaryNode' if op.arity == 2 else '_UnaryNode'
    inputs = ('a', 'b')[:op.arity]
    sources = {'x': 'a.data', 'y': 'b.data', 'out': 'self.data'}
    updates = [line for node, rule in zip(inputs, op.grads) for line in chain_rule(node, rule)]
    operands = 'x, y, out' if op.arity == 2 else 'x, _, out'
    return [f'class {cls or class_name(op)}({base}):',
            f'    """{op.forward}"""',
            '    __slots__ = ()',
            f'    _op = {op.name!r}',
            f'    rule = {rule or "ops." + _table_name(op)}',
            '',
            '    def _backward(self) -> None:',
            *_docstring(_math(op, names), '        '),
            '        g = self.grad',
            *[f'        {node} = self._{node}' for node in inputs],
            *['        ' + line for line in _reads(op.grads, sources)],
            *['        ' + line for line in updates],
            '',
            VJP,
            *_vjp(operands, op.grads),
            '',
            '    def _forward_again(self) -> float:',
            f'        return {_forward(op, x="self._a.data", y="self._b.data")}']


def _unused(operands: str, rules: tuple[str, ...]) -> str:
    """``x, y, out`` with the names the rules do not use written ``_``."""
    used = names_used(rules)
    return ', '.join(name if name in used else '_' for name in operands.split(', '))


def _pow_const_class(op: Op) -> list[str]:
    """x ** c: POW's rule for d/dx, with y the constant c (kept in a slot of its own, not a node)."""
    rule = op.grads[0]
    sources = {'x': 'a.data', 'y': 'self._c', 'out': 'self.data'}
    return ['class _PowConst(_UnaryNode):',
            f'    """x ** c for a number c: {op.name} with a constant exponent; its ``_op`` is micrograd\'s \'**2\'"""',
            "    __slots__ = ('_c',)",
            '    _c: float',
            f'    rule = ops.{_table_name(op)}',
            '',
            '    @property',
            '    def _op(self) -> str:  # type: ignore[override]',
            "        return '**' + format_exponent(self._c)",
            '',
            '    def rule_inputs(self, as_values: bool = False) -> tuple[Any, Any, Any]:',
            '        x, _, out = super().rule_inputs(as_values)',
            '        return x, self._c, out',
            '',
            '    def _extra(self) -> tuple[Any, ...]:',
            '        return (self._c,)',
            '',
            '    def _restore_extra(self, *extra: Any) -> None:',
            '        (self._c,) = extra',
            '',
            '    def _backward(self) -> None:',
            *_docstring(_math(op, ('x',), where=', with y = c'), '        '),
            '        g = self.grad',
            '        a = self._a',
            *['        ' + line for line in _reads((rule,), sources)],
            *['        ' + line for line in chain_rule('a', rule)],
            '',
            VJP,
            *_vjp('x, y, out', (rule,)),
            '',
            '    def _forward_again(self) -> float:',
            f'        return {_forward(op, x="self._a.data", y="self._c")}']


def _dot_class() -> list[str]:
    bias = chain_rule('a', ops.ADD.grads[0])
    pair = [line for node, rule in zip('ab', ops.MUL.grads) for line in chain_rule(node, rule)]
    return ['class _Dot(_NaryNode):',
            '    """bias + w1*x1 + w2*x2 + ...: a neuron\'s weighted sum as one node (inputs: bias, w1, x1, ...).',
            '',
            '    Its chain rule is the table\'s + rule for the bias and its * rule for each pair, so dot has no',
            '    derivative of its own to get wrong."""',
            '    __slots__ = ()',
            "    _op = 'dot'",
            '',
            '    def _backward(self) -> None:',
            f'        """d/dbias = {ops.ADD.grads[0]}, and for each pair w*x, the rule of *: d/dw = x, d/dx = w"""',
            '        g = self.grad',
            '        inputs = self._b',
            '        a = inputs[0]',
            *['        ' + line for line in bias],
            '        for i in range(1, len(inputs), 2):',
            '            a = inputs[i]',
            '            b = inputs[i + 1]',
            *['            ' + line for line in _reads(ops.MUL.grads, {'x': 'a.data', 'y': 'b.data'})],
            *['            ' + line for line in pair],
            '',
            VJP,
            '        inputs = self._b',
            '        return ops.dot_vjp(inputs if as_values else [node.data for node in inputs], g)',
            '',
            '    def _forward_again(self) -> float:',
            '        inputs = self._b',
            '        data: float = inputs[0].data',
            '        for i in range(1, len(inputs), 2):',
            '            data += inputs[i].data * inputs[i + 1].data',
            '        return data']


def _table_name(op: Op) -> str:
    for name, value in vars(ops).items():
        if value is op:
            return name
    raise ValueError(f'{op!r} is not a row of ops.py')


def nodes_block(table: tuple[Op, ...] = ops.TABLE) -> list[str]:
    classes = [_node_class(op) for op in table] + [_pow_const_class(ops.POW), _dot_class()]
    return NAMES_IN_SCOPE + _joined(classes, '', blank=2)


def _joined(pieces: list[list[str]], indent: str, blank: int = 1) -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        if lines:
            lines += [''] * blank
        lines += [indent + line if line else '' for line in piece]
    return lines


# ---------------------------------------------------------------- an op added at run time (register_op)

def check_op(op: Op) -> None:
    """A clear ValueError for a row that cannot become code: unknown names, a wrong number of rules."""
    if not isinstance(op, ops.Op):
        raise TypeError(f"register_op takes an Op, e.g. Op('cube', 'x ** 3', ('3 * x ** 2',)), got {op!r}")
    if not isinstance(op.name, str) or not op.name.strip():
        raise ValueError(f"an op needs a name (its _op string, like 'cube'), got {op.name!r}")
    if not isinstance(op.grads, (tuple, list)):
        raise TypeError(f"{op.name}: the rules are a tuple of strings, one per input, like ('3 * x ** 2',), "
                        f'got {op.grads!r}')
    if op.arity not in (1, 2):
        raise ValueError(f'{op.name}: give one rule per input (1 or 2 inputs), got {len(op.grads)}: {op.grads!r}')
    inputs = {'x', 'y'} if op.arity == 2 else {'x'}
    for what, text, allowed in [('forward', op.forward, inputs)] + [
            (f'd/d{name}', rule, inputs | {'out'}) for name, rule in zip('xy', op.grads)]:
        if not isinstance(text, str):
            raise TypeError(f'{op.name}: the {what} is written as a Python expression in a string, got {text!r}')
        try:
            names = names_used([text])
        except SyntaxError as error:
            raise ValueError(f'{op.name}: the {what} {text!r} is not a Python expression ({error.msg})') from None
        unknown = names - allowed - set(ops.FUNCTIONS)
        if unknown:
            raise ValueError(f'{op.name}: the {what} {text!r} uses {", ".join(sorted(unknown))}; it may use '
                             f'{", ".join(sorted(allowed))} and the functions {", ".join(ops.FUNCTIONS)}')
        float_code(text)  # what else cannot become code (a call of something that is not a function)


def registered_op_source(op: Op, method: str, cls: str, reflected: str | None = None) -> str:
    """Module-level source for an op added at run time: its node class (``rule`` set afterwards) and its
    Value method(s) as functions named ``_method_<name>``, so they shadow nothing in the engine."""
    check_op(op)
    op = op._replace(method=f'_method_{method}', reflected=f'_method_{reflected}' if reflected else None)
    pieces = [_node_class(op, rule='None', cls=cls)]
    if op.arity == 2:
        pieces.append(_binary_method(op, op.method or '', reflected=False, cls=cls))
        if op.reflected:
            pieces.append(_binary_method(op, op.reflected, reflected=True, cls=cls))
    else:
        pieces.append(_unary_method(op, cls=cls))
    return '\n'.join(_joined(pieces, '', blank=2)) + '\n'


# ---------------------------------------------------------------- the file

def _blocks() -> Iterator[tuple[str, list[str]]]:
    yield 'operators', operators_block()
    yield 'nodes', nodes_block()


def generated(source: str) -> str:
    """``source`` (engine.py's text) with every generated block rewritten from the table."""
    for name, lines in _blocks():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        pattern = re.compile(rf'^([ \t]*){re.escape(begin)}\n.*?^[ \t]*{re.escape(end)}\n', re.S | re.M)
        match = pattern.search(source)
        if match is None:
            raise ValueError(f'{ENGINE.name} has no block between "{begin}" and "{end}"')
        indent = match.group(1)
        block = '\n'.join([indent + begin, *lines, indent + end]) + '\n'
        source = source[:match.start()] + block + source[match.end():]
    return source


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    current = ENGINE.read_text(encoding='utf-8')
    fresh = generated(current)
    if '--check' in argv:
        if fresh != current:
            print(f'{ENGINE} is out of date with ops.py: run make generate', file=sys.stderr)
            return 1
        print(f'{ENGINE.name} matches ops.py')
        return 0
    if fresh != current:
        ENGINE.write_text(fresh, encoding='utf-8')
        print(f'rewrote the generated blocks of {ENGINE}')
    else:
        print(f'{ENGINE.name} already matches ops.py')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
