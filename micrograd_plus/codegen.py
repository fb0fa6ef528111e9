"""Writes the engine's op code from the derivative table (``ops.py``) into ``engine.py``.

    python micrograd_plus/codegen.py            rewrite the generated blocks of engine.py (make generate)
    python micrograd_plus/codegen.py --check    exit 1 if they differ from what the table gives

Run as a file, it loads ops.py and rules.py alone, not the package, so it works even while engine.py is broken.

Like PyTorch's ``derivatives.yaml``, the table is the one place a derivative is written, and the code
that runs is generated from it once, at development time, into a file you can read, grep, debug and
type-check; nothing is compiled when the library is imported. A test fails when the checked-in code
and the table disagree. The rules are read through ``rules.py`` (parsed once into its expression form);
this module is its backend for engine.py. Three blocks are generated, each between marker lines:

- ``imports``: the float functions of ops.py the table's rules call (``f_exp``...);
- ``operators``, inside ``class Value``: one method per op (``__mul__``, ``tanh``, ``clamp``...) that computes
  the forward number and records the result node (with the row's constants in slots of its own);
- ``nodes``, after it: one node class per row, with its float ``_backward`` (the fast first-order chain
  rule, ``a.grad += g * y``) and ``vjp`` (what each input gets, on numbers or on Values: grad() to any order).
"""
from __future__ import annotations

import ast
import importlib
import keyword
import pathlib
import re
import string
import sys
import textwrap
import types
from collections.abc import Iterator, Sequence

if __package__:
    from . import ops, rules
else:  # run as a file: ops.py and rules.py need nothing else from the package
    _package = types.ModuleType('_micrograd_plus_table')
    _package.__path__ = [str(pathlib.Path(__file__).parent)]
    sys.modules[_package.__name__] = _package
    ops = importlib.import_module(f'{_package.__name__}.ops')
    rules = importlib.import_module(f'{_package.__name__}.rules')
Op = ops.Op

ENGINE = pathlib.Path(__file__).with_name('engine.py')
BEGIN = '# ---- begin generated {name}: edit ops.py and run `make generate`, not this ----'
END = '# ---- end generated {name} ----'
NAMES_IN_SCOPE = ["# In each _backward: g is this node's grad, a and b its input nodes, x and y their numbers,",
                  "# out its own, and the op's constants by name. vjp gives the same to grad(): on numbers, or on",
                  '# Values (as_values=True) so that gradients can be differentiated again.',
                  '']
# names the generated code uses itself: an op's constant cannot be called so
RESERVED = {'a', 'b', 'g', 'self', 'other', 'data', 'out', 'inputs', 'i', 'to', 'node', 'total', 'as_values', 'ops',
            'isinstance', 'len', 'range', 'tuple', 'float', 'list', 'super', 'Value', 'Any', 'Operand'}


def table_name(op: Op) -> str:
    """The variable of ops.py that holds the row (``POW_CONST``)."""
    for name, value in vars(ops).items():
        if value is op:
            return name
    raise ValueError(f'{op!r} is not a row of ops.py')


def class_name(op: Op) -> str:
    """The node class of a row, from its name in ops.py: ``_Mul`` for MUL, ``_PowConst`` for POW_CONST."""
    return '_' + ''.join(part.capitalize() for part in table_name(op).split('_'))


def check_names(op: Op) -> rules.Rule:
    """The row parsed, with its constants' names free to be locals of the generated code."""
    rule = rules.check_op(op)
    for name in rule.constants + rule.inputs:
        if name in RESERVED or keyword.iskeyword(name) or name.startswith('f_'):
            raise ValueError(f'{op.name!r}: {name!r} is a name the generated code uses: call it something else')
    if rule.nary and rule.constants:
        raise ValueError(f'{op.name!r}: an n-ary row takes no constants')
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(op.name) if field is not None]
    except ValueError as error:
        raise ValueError(f'{op.name!r}: braces in a name mark a constant, like {{c}} in "**{{c}}" ({error})') from None
    unknown = [field for field in fields if field not in rule.constants]
    if unknown:
        raise ValueError(f'{op.name!r}: {{{unknown[0]}}} in its name is not one of its constants {rule.constants}')
    return rule


# ---------------------------------------------------------------- pieces of code

def _tuple(items: Sequence[str]) -> str:
    """``(a, b)``, or ``(a,)`` for one."""
    return f'({items[0]},)' if len(items) == 1 else f'({", ".join(items)})'


def _text(tree: ast.AST) -> str:
    return ast.unparse(tree)


def _env(pairs: dict[str, str]) -> dict[str, ast.expr]:
    return {name: ast.parse(code, mode='eval').body for name, code in pairs.items()}


def _docstring(lines: list[str], indent: str) -> list[str]:
    """A docstring of one line, or of several with the closing quotes on their own line; long lines wrapped."""
    width = 114 - len(indent)
    lines = [part for line in lines for part in textwrap.wrap(line, width, subsequent_indent='    ')]
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}'] + [indent + line for line in lines[1:]] + [f'{indent}"""']


def _indented(lines: Sequence[str], indent: str) -> list[str]:
    return [indent + line if line else '' for line in lines]


def _statements(statements: list[ast.stmt]) -> list[str]:
    return [line for statement in statements for line in _text(statement).splitlines()]


def _forward(rule: rules.Rule, sources: dict[str, str]) -> str:
    """The forward expression as float code on the given numbers (``self.data``, ``b.data``, ``c``)."""
    return _text(rules.float_code(rule.forward, _env(sources)))


def _math(rule: rules.Rule, where: str = '') -> list[str]:
    return [f'd/d{name} = {rules.source_text(grad)}{where}' for name, grad in zip(rule.inputs, rule.grads)]


# ---------------------------------------------------------------- the operators block (methods of Value)

def _record(cls: str, inputs: tuple[str, str], constants: Sequence[str], indent: str) -> list[str]:
    """Make the result node: inline on the fast path (no call), through _record otherwise."""
    a, b = inputs
    lines = ['if _plain:', f'    out = _new({cls})', '    out.data = data', '    out.grad = 0.0',
             "    out.label = ''", f'    out._a = {a}', f'    out._b = {b}']
    lines += [f'    out._{name} = {name}' for name in constants]
    lines += ['    return out', f'return _record({", ".join([cls, "data", a, b, *constants])})']
    return [indent + line for line in lines]


def _binary_method(op: Op, method: str, reflected: bool, cls: str) -> list[str]:
    rule = check_names(op)
    lift = 'a' if reflected else 'b'
    a, b = ('a', 'self') if reflected else ('self', 'b')
    return [f'def {method}(self, other: Operand) -> Value:',
            f'    """{rules.source_text(rule.forward)}{", for a number x" if reflected else ""}"""',
            f'    {lift} = other if isinstance(other, Value) else _lift(other)',
            f'    if {lift} is None:',
            # an operator lets Python try the other side; a named method (x.maximum(y)) says what it takes
            '        return NotImplemented' if method.startswith('__') else
            f"        raise TypeError(f'{method}() takes a Value or a number, got {{checks.shown(other)}}')",
            f'    data = {_forward(rule, {"x": f"{a}.data", "y": f"{b}.data"})}',
            *_record(cls, (a, b), (), '    ')]


def _shared_method(op: Op, constant_op: Op, cls: str, constant_cls: str) -> list[str]:
    """A two-input row and a one-input row with one constant that share a method (``__pow__``): a Value
    operand makes the first's node, a number the second's, which keeps it as its constant."""
    rule, constant_rule = check_names(op), check_names(constant_op)
    (name,) = constant_rule.constants
    return [f'def {op.method}(self, other: Operand) -> Value:',
            f'    """{rules.source_text(rule.forward)}; for a number y, '
            f'{rules.source_text(constant_rule.forward)} with {name} = y, one input"""',
            f'    out: {cls} | {constant_cls}',
            '    if isinstance(other, Value):',
            f'        data = {_forward(rule, {"x": "self.data", "y": "other.data"})}',
            *_record(cls, ('self', 'other'), (), '        '),
            f'    {name} = _operand(other)',
            f'    if {name} is None:',
            '        return NotImplemented',
            f'    data = {_forward(constant_rule, {"x": "self.data", name: name})}',
            *_record(constant_cls, ('self', 'None'), (name,), '    ')]


def _unary_method(op: Op, method: str, cls: str) -> list[str]:
    rule = check_names(op)
    parameters = ''.join(f', {name}: float | None = {_default(value)}'
                         for name, value in zip(rule.constants, rule.defaults))
    lines = [f'def {method}(self{parameters}) -> Value:', f'    """{rules.source_text(rule.forward)}"""']
    for name, value in zip(rule.constants, rule.defaults):
        lines.append(f'    {name} = _constant({op.name!r}, {name!r}, {name}, {_literal(value)})')
    sources = {'x': 'self.data', **{name: name for name in rule.constants}}
    return lines + [f'    data = {_forward(rule, sources)}', *_record(cls, ('self', 'None'), rule.constants, '    ')]


def _literal(value: float) -> str:
    """A number as code that needs no import: ``0.01``, ``-ops.inf``."""
    if value - value == 0:
        return repr(value)
    return 'ops.nan' if value != value else ('ops.inf' if value > 0 else '-ops.inf')


def _default(value: float) -> str:
    """A constant's default as its parameter shows it: an infinite one (no bound) is None, like torch.clamp's."""
    return repr(value) if value - value == 0 else 'None'


def operators_block(table: Sequence[Op] = ops.TABLE) -> list[str]:
    methods: list[list[str]] = []
    by_method: dict[str, list[Op]] = {}
    for op in table:
        if op.method and not op.repeat:
            by_method.setdefault(op.method, []).append(op)
    for method, sharing in by_method.items():
        if len(sharing) == 2:
            two, one = sorted(sharing, key=lambda op: -op.arity)
            if two.arity != 2 or one.arity != 1 or len(one.constants) != 1:
                raise ValueError(f'{method}: two rows share it, which needs one of two inputs and one of one input '
                                 f'and one constant, got {two.name!r} and {one.name!r}')
            methods.append(_shared_method(two, one, class_name(two), class_name(one)))
        elif len(sharing) > 2:
            raise ValueError(f'{method}: {len(sharing)} rows share it; at most two can')
        elif sharing[0].arity == 2:
            methods.append(_binary_method(sharing[0], method, False, class_name(sharing[0])))
        else:
            methods.append(_unary_method(sharing[0], method, class_name(sharing[0])))
        for op in sharing:
            if op.reflected:
                methods.append(_binary_method(op, op.reflected, True, class_name(op)))
    return _joined(methods, '    ')


# ---------------------------------------------------------------- the nodes block (one class per row)

def _unused(operands: Sequence[str], used: set[str]) -> str:
    """``x, y, out`` with the names the rules do not use written ``_``."""
    return ', '.join(name if name in used else '_' for name in operands)


VJP = '    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:'


def _vjp(rule: rules.Rule) -> list[str]:
    """The body of vjp: read the operands the rules use, then what each input gets."""
    used = rules.names_used(*rule.grads)
    env = rules.names_env(*rule.inputs, 'out', 'g', *rule.constants)
    operands = _unused(list(rule.inputs) + ['_'] * (2 - len(rule.inputs)) + ['out'], used)  # as rule_inputs() gives
    lines = [f'{operands} = self.rule_inputs(as_values)'] if operands.strip('_, ') else []
    lines += [f'{name} = self._{name}' for name in rule.constants if name in used]
    codes = [] if any(isinstance(grad, rules.ZeroIf) for grad in rule.grads) else \
        [_text(rules.contribution(grad, env)) for grad in rule.grads]
    if codes and len(_tuple(codes)) < 100:  # one expression each: return them at once
        lines.append(f'return {_tuple(codes)}')
    else:
        targets = [f'to_{name}' for name in rule.inputs]
        for grad, target in zip(rule.grads, targets):
            lines += rules.vjp_lines(grad, target, env)
        lines.append(f'return ({targets[0]},)' if len(targets) == 1 else f'return ({", ".join(targets)})')
    return ['        ' + line for line in lines]


def _op_attribute(op: Op, rule: rules.Rule) -> list[str]:
    """``_op``: the row's name, or with its constants filled in (``'**{c}'`` reads '**2') a property."""
    pieces = list(string.Formatter().parse(op.name))
    if all(field is None for _, field, _, _ in pieces):
        return [f'    _op = {op.name!r}']
    parts = []
    for literal, field, _, _ in pieces:
        if literal:
            parts.append(repr(literal))
        if field is not None:
            parts.append(f'format_constant(self._{field})')
    return ['    @property',
            '    def _op(self) -> str:  # type: ignore[override]',
            f'        return {" + ".join(parts)}']


def _node_class(op: Op, cls: str, rule_source: str) -> list[str]:
    rule = check_names(op)
    if rule.nary:
        return _nary_class(op, rule, cls, rule_source)
    base = '_BinaryNode' if len(rule.inputs) == 2 else '_UnaryNode'
    nodes = ('a', 'b')[:len(rule.inputs)]
    sources = {name: f'{node}.data' for name, node in zip(rule.inputs, nodes)}
    sources.update({'out': 'self.data'} | {c: f'self._{c}' for c in rule.constants})
    used = rules.names_used(*rule.grads)
    env = rules.names_env(*rule.inputs, 'out', 'g', *rule.constants)
    updates = [line for node, grad in zip(nodes, rule.grads)
               for line in _statements(rules.float_statements(rules.updates(grad), _env({'t': f'{node}.grad'})['t'],
                                                              env))]
    slots = _tuple([f"'_{name}'" for name in sorted(rule.constants)]) if rule.constants else '()'
    lines = [f'class {cls}({base}):',
             f'    """{rules.source_text(rule.forward)}"""',
             f'    __slots__ = {slots}',
             *[f'    _{name}: float' for name in rule.constants],
             *_op_attribute(op, rule),
             f'    rule = {rule_source}',
             '',
             '    def _backward(self) -> None:',
             *_docstring(_math(rule), '        '),
             '        g = self.grad',
             *[f'        {node} = self._{node}' for node in nodes],
             *[f'        {name} = {code}' for name, code in sources.items() if name in used],
             *['        ' + line for line in updates],
             '',
             VJP,
             *_vjp(rule),
             '']
    if rule.constants:
        names = _tuple([f'self._{name}' for name in rule.constants])
        lines += ['    def constants(self) -> tuple[float, ...]:',
                  f'        """{", ".join(rule.constants)}: the numbers this node keeps beside its inputs"""',
                  f'        return {names}',
                  '',
                  '    def _extra(self) -> tuple[Any, ...]:',
                  f'        return {names}',
                  '',
                  '    def _restore_extra(self, *extra: Any) -> None:',
                  f'        {names} = extra',
                  '']
    again = {name: f'self._{node}.data' for name, node in zip(rule.inputs, nodes)}
    again.update((name, name) for name in rule.constants)
    return lines + ['    def _forward_again(self) -> float:',
                    *[f'        {name} = self._{name}' for name in rule.constants],
                    f'        return {_forward(rule, again)}']


def _nary_class(op: Op, rule: rules.Rule, cls: str, rule_source: str) -> list[str]:
    """An n-ary node (dot): its first input's rule once, then a loop over the repeated groups."""
    first, repeated = rule.inputs[0], rule.inputs[1:]
    size = len(repeated)
    nodes = 'abcdefgh'[:size]
    env = rules.names_env(*rule.inputs, 'out', 'g')
    used = rules.names_used(*rule.grads)

    def update(node: str, grad: rules.Expr) -> list[str]:
        return _statements(rules.float_statements(rules.updates(grad), _env({'t': f'{node}.grad'})['t'], env))

    def at(k: int) -> str:
        return 'inputs[i]' if k == 0 else f'inputs[i + {k}]'
    term = rules.term(rule)
    first_vjp = _text(rules.contribution(rule.grads[0], env))
    return [f'class {cls}(_NaryNode):',
            f'    """{rules.source_text(rule.forward)}, with {", ".join(repeated)} repeated: inputs ({first}, '
            f'{", ".join(n + "1" for n in repeated)}, {", ".join(n + "2" for n in repeated)}, ...)"""',
            '    __slots__ = ()',
            *_op_attribute(op, rule),
            f'    rule = {rule_source}',
            '',
            '    def _backward(self) -> None:',
            *_docstring(_math(rule), '        '),
            '        g = self.grad',
            '        inputs = self._b',
            '        a = inputs[0]',
            *([f'        {first} = a.data'] if first in used else []),
            *['        ' + line for line in update('a', rule.grads[0])],
            f'        for i in range(1, len(inputs), {size}):',
            *[f'            {node} = {at(k)}' for k, node in enumerate(nodes)],
            *[f'            {name} = {node}.data' for name, node in zip(repeated, nodes) if name in used],
            *['            ' + line for node, grad in zip(nodes, rule.grads[1:]) for line in update(node, grad)],
            '',
            VJP,
            '        inputs = self._b if as_values else [node.data for node in self._b]',
            *([f'        {first} = inputs[0]'] if first in used else []),
            f'        to = [{first_vjp}]',
            f'        for i in range(1, len(inputs), {size}):',
            *[f'            {name} = {at(k)}' for k, name in enumerate(repeated)],
            f'            to += {_tuple([_text(rules.contribution(grad, env)) for grad in rule.grads[1:]])}',
            '        return tuple(to)',
            '',
            '    @staticmethod',
            '    def forward_of(inputs: Sequence[Value]) -> float:',
            f'        """{rules.source_text(rule.forward)}, added left to right as the chain of ops would add"""',
            '        total: float = inputs[0].data',
            f'        for i in range(1, len(inputs), {size}):',
            *[f'            {name} = {at(k)}.data' for k, name in enumerate(repeated)],
            f'            total = total + {_text(rules.float_code(term, env))}',
            '        return total',
            '',
            '    def _forward_again(self) -> float:',
            '        return self.forward_of(self._b)']


def nodes_block(table: Sequence[Op] = ops.TABLE) -> list[str]:
    classes = [_node_class(op, class_name(op), f'ops.{table_name(op)}') for op in table]
    return NAMES_IN_SCOPE + _joined(classes, '', blank=2)


def imports_block(table: Sequence[Op] = ops.TABLE) -> list[str]:
    """The float functions (and inf, nan) the generated code calls, imported from ops.py."""
    names = {'format_constant'} if any('{' in op.name for op in table) else set()
    for op in table:
        names |= rules.float_functions(check_names(op))
    return _wrapped_import(sorted(names)) + ['']


def _wrapped_import(names: list[str]) -> list[str]:
    line = 'from .ops import ' + ', '.join(names)
    if len(line) <= 120:
        return [line]
    return ['from .ops import ('] + [f'    {name},' for name in names] + [')']


def _joined(pieces: list[list[str]], indent: str, blank: int = 1) -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        if lines:
            lines += [''] * blank
        lines += _indented(piece, indent)
    return lines


# ---------------------------------------------------------------- an op added at run time (register_op)

def registered_op_source(op: Op, method: str, cls: str, reflected: str | None = None) -> str:
    """Module-level source for an op added at run time: its node class (``rule`` set afterwards) and its
    Value method(s) as functions named ``_method_<name>``, so they shadow nothing in the engine. Every
    rule is written from its parsed form (never pasted), and every name is quoted with repr()."""
    rule = check_names(op)
    if rule.nary:
        raise ValueError(f'{op.name!r}: register_op adds ops of one or two inputs; an n-ary row goes in ops.py')
    pieces = [_node_class(op, cls, 'None')]
    if len(rule.inputs) == 2:
        pieces.append(_binary_method(op, f'_method_{method}', False, cls))
        if reflected:
            pieces.append(_binary_method(op, f'_method_{reflected}', True, cls))
    else:
        pieces.append(_unary_method(op, f'_method_{method}', cls))
    return '\n'.join(_joined(pieces, '', blank=2)) + '\n'


# ---------------------------------------------------------------- the file

def _blocks() -> Iterator[tuple[str, list[str]]]:
    yield 'imports', imports_block()
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
